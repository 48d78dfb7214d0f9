"""``/dashboard``: the agency's and partners' view of what the territory's visitors ask, behind a login.

Accounts come from ``loci users add``; the session cookie is HttpOnly, SameSite=Strict, and Secure when the app is
served over HTTPS (``LOCI_PUBLIC_URL`` https://…); every form carries the session's CSRF token. A partner account
sees only its own figures, gaps, lessons, redirects and sources — other partners' pages answer 404, as unknown ones.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from genius_loci.core.analytics import DAY
from genius_loci.core.gaps import report
from genius_loci.core.teaching import TeachingError

from ..bootstrap import Service
from ..http import ApiError
from .auth import Account, Accounts, LoginRefused
from .views import VIEWS, Page, Scope

COOKIE = "loci_session"
LOGIN_COOKIE = "loci_login"  # the login form's CSRF token (double submit)
DEFAULT_DAYS = 30
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class NotLoggedIn(Exception):
    pass


def router(secure_cookies: bool) -> APIRouter:
    api = APIRouter(prefix="/dashboard")

    def context(request: Request) -> tuple[Service, Accounts]:
        return request.app.state.service, request.app.state.accounts

    def common(request: Request, account: Account | None, title: str, current: str = "") -> dict[str, Any]:
        service, _ = context(request)
        return {"request": request, "account": account, "title": title, "current": current,
                "territory": service.runtime.territory.name, "views": [(k, v[0]) for k, v in VIEWS.items()]}

    async def signed_in(request: Request) -> Account:
        _, accounts = context(request)
        account = await accounts.session(request.cookies.get(COOKIE))
        if account is None:
            raise NotLoggedIn
        return account

    async def form_of(request: Request, account: Account | None = None) -> dict[str, str]:
        form = {k: str(v) for k, v in (await request.form()).items()}
        expected = account.csrf if account else request.cookies.get(LOGIN_COOKIE)
        if not expected or not secrets.compare_digest(form.get("csrf", ""), expected):
            raise ApiError(403, "the form has expired or did not come from this site: reload the page")
        return form

    def scope_of(request: Request, account: Account) -> tuple[Scope, int]:
        try:
            days = max(1, min(365, int(request.query_params.get("days", DEFAULT_DAYS))))
        except ValueError:
            days = DEFAULT_DAYS
        now = time.time()
        return Scope(account, now - days * DAY, now), days

    @api.get("", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dashboard/overview", status_code=303)

    @api.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        page = templates.TemplateResponse(request, "login.html", {**common(request, None, "Log in"), "csrf": token,
                                                                   "error": "", "name": ""})
        page.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies,
                        path="/dashboard")
        return page

    @api.post("/login")
    async def login(request: Request) -> Response:
        form = await form_of(request)
        _, accounts = context(request)
        address = request.client.host if request.client else "unknown"
        try:
            token, _ = await accounts.login(form.get("name", ""), form.get("password", ""), address)
        except LoginRefused as exc:
            page = templates.TemplateResponse(
                request, "login.html", {**common(request, None, "Log in"), "csrf": request.cookies.get(LOGIN_COOKIE),
                                        "error": str(exc), "name": form.get("name", "")}, status_code=exc.status)
            return page
        done = RedirectResponse("/dashboard/overview", status_code=303)
        done.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies, path="/",
                        max_age=12 * 3600)
        done.delete_cookie(LOGIN_COOKIE, path="/dashboard")
        return done

    @api.post("/logout")
    async def logout(request: Request) -> Response:
        account = await signed_in(request)
        await form_of(request, account)
        _, accounts = context(request)
        await accounts.logout(request.cookies.get(COOKIE, ""))
        done = RedirectResponse("/dashboard/login", status_code=303)
        done.delete_cookie(COOKIE, path="/")
        return done

    async def gap_for(request: Request, account: Account, gap_id: str) -> tuple[Any, Any]:
        """The gap and its questions, when this account may see it: another partner's gap is not shown, nor said
        to exist."""
        service, _ = context(request)
        found = await service.state.store.gap(gap_id)
        if found is None or (account.scope is not None and found[0].partner != account.scope):
            raise ApiError(404, "no such gap")
        return found

    @api.get("/gaps/{gap_id}", response_class=HTMLResponse)
    async def gap_page(request: Request, gap_id: str) -> Response:
        account = await signed_in(request)
        return await _gap(request, account, gap_id)

    async def _gap(request: Request, account: Account, gap_id: str, *, message: str = "", error: str = "",
                   status: int = 200) -> Response:
        service, _ = context(request)
        found = await gap_for(request, account, gap_id)
        lessons = [x for x in await service.teaching.lessons() if x.gap_id == gap_id]
        return templates.TemplateResponse(request, "gap.html", {
            **common(request, account, f"Gap {gap_id}", "gaps"), "gap": report(*found, examples=10),
            "lessons": lessons, "message": message, "error": error}, status_code=status)

    @api.post("/gaps/{gap_id}/teach")
    async def teach(request: Request, gap_id: str) -> Response:
        account = await signed_in(request)
        form = await form_of(request, account)
        service, _ = context(request)
        await gap_for(request, account, gap_id)
        try:
            lesson = await service.teaching.propose(
                gap_id=gap_id, answer=form.get("answer", ""), url=form.get("url", ""), question=form.get("question"),
                partner=account.scope, author=f"web:{account.name}")
        except TeachingError as exc:
            return await _gap(request, account, gap_id, error=str(exc), status=422)
        return await _gap(request, account, gap_id, message=f"Thank you: lesson {lesson.id} waits for review.")

    @api.post("/lessons/{lesson_id}/{action}")
    async def decide(request: Request, lesson_id: str, action: str) -> Response:
        account = await signed_in(request)
        await form_of(request, account)
        service, _ = context(request)
        lesson = await service.teaching.lesson(lesson_id)
        allowed = action == "withdraw" and lesson is not None and account.scope in (None, lesson.partner)
        if action not in ("approve", "reject", "withdraw") or lesson is None or (
                account.role != "admin" and not allowed):
            raise ApiError(404, "no such lesson")
        try:
            await getattr(service.teaching, action)(lesson_id, f"web:{account.name}")
        except TeachingError as exc:
            raise ApiError(409, str(exc)) from exc
        target = f"/dashboard/gaps/{lesson.gap_id}" if lesson.gap_id else "/dashboard/gaps"
        return RedirectResponse(target, status_code=303)

    async def page_of(request: Request, view: str) -> tuple[Account, Page, int]:
        """The signed-in account, its view's page over the asked period, and that period in days."""
        account = await signed_in(request)
        if view not in VIEWS:
            raise ApiError(404, "no such view")
        service, _ = context(request)
        scope, days = scope_of(request, account)
        return account, await VIEWS[view][1](service, scope), days

    @api.get("/{view}.csv")
    async def export(request: Request, view: str) -> Response:
        _, page, _ = await page_of(request, view)
        out = io.StringIO()
        writer = csv.writer(out)
        table = page.tables[0]
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([cell["text"] if isinstance(cell, dict) else cell for cell in row])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="loci-{view}.csv"'})

    @api.get("/{view}", response_class=HTMLResponse)
    async def show(request: Request, view: str) -> Response:
        account, page, days = await page_of(request, view)
        return templates.TemplateResponse(request, "view.html", {
            **common(request, account, page.title, view), "charts": page.charts, "tables": page.tables,
            "charts_json": Markup(json.dumps(page.charts, ensure_ascii=False).replace("</", "<\\/")),
            "svg": Markup(page.svg), "caption": page.caption, "period": f"The last {days} days",
            "query": f"?days={days}"})

    return api

"""``loci users``: the dashboard's accounts (an agency admin sees everything; a partner, its own figures).

``loci users add NAME --role admin|partner [--partner P] [--password-stdin]`` (asked twice on a terminal
otherwise), ``loci users list [--json]``, ``loci users remove NAME``."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from genius_loci.config.loader import load_partners
from genius_loci.config.settings import Settings
from genius_loci.core.errors import LociError

from . import console
from .state import build_state
from .web.auth import ROLES, Accounts


def add_parser(sub: Any) -> None:
    users = sub.add_parser("users", help="the dashboard's accounts", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="create an account, or set its role and password again")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--partner", help="the partner id a partner account sees (config/partners.yaml)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    listing = users_sub.add_parser("list", help="the accounts (never their passwords)")
    listing.add_argument("--json", action="store_true")
    remove = users_sub.add_parser("remove", help="delete an account and end its sessions")
    remove.add_argument("name")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise LociError("the two passwords differ")
    return first


async def run(settings: Settings, args: argparse.Namespace) -> int:
    state = build_state(settings)
    try:
        await state.migrate()
        store = state.store
        if args.action == "add":
            partners = [p.id for p in load_partners(settings.config_path("partners"))]
            await Accounts(store, partners).add(args.name, _password(args.password_stdin), args.role, args.partner)
            console.err.print(f"account {args.name} ({args.role}) saved")
        elif args.action == "list":
            found = await store.web_users()
            if args.json:
                console.out.print(json.dumps({"users": found}, ensure_ascii=False))
            else:
                for u in found:
                    console.out.print(f"{u['name']}  {u['role']}  {u['partner'] or ''}")
        elif not await store.remove_web_user(args.name):
            raise LociError(f"there is no account {args.name!r}")
        return 0
    finally:
        await state.aclose()

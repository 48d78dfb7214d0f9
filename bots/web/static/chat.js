/* Genius Loci chat: the page at / and the widget any allowed site embeds with one tag:
     <script src="https://ASSISTANT/widget.js" data-lang="fr" defer></script>
   Everything comes from the assistant's own server (no CDN). The UI lives in a shadow root so that the host
   page's styles do not reach it. Answers stream from POST /api/ask/stream (server-sent events). */
(function () {
  "use strict";
  var script = document.currentScript;
  var BASE = new URL(script.src, location.href).origin;
  var FULL = script.dataset.mode === "page";
  var KEY = "loci-session";

  var TEXT = {
    fr: {title: "Posez votre question", placeholder: "Où se baigner à Marseille ?", send: "Envoyer",
         locate: "📍 Utiliser ma position", located: "📍 Position partagée", forget: "Oublier mes données",
         forgotten: "C'est fait : j'ai oublié cette conversation.", sources: "Sources", open: "Assistant",
         close: "Fermer", thanks: "Merci !", language: "Langue", auto: "Auto", error: "Désolé, une erreur est survenue.",
         nolocation: "Votre navigateur n'a pas donné votre position.", up: "Réponse utile", down: "Réponse pas utile",
         audiences: {tourist: "Visiteur", investor: "Investisseur", resident: "Habitant", student: "Étudiant"}},
    en: {title: "Ask your question", placeholder: "Where can I swim in Marseille?", send: "Send",
         locate: "📍 Use my location", located: "📍 Location shared", forget: "Forget me",
         forgotten: "Done: I have forgotten this conversation.", sources: "Sources", open: "Assistant",
         close: "Close", thanks: "Thank you!", language: "Language", auto: "Auto", error: "Sorry, something went wrong.",
         nolocation: "Your browser did not give your location.", up: "Helpful answer", down: "Unhelpful answer",
         audiences: {tourist: "Visitor", investor: "Investor", resident: "Resident", student: "Student"}},
    es: {title: "Haga su pregunta", placeholder: "¿Dónde bañarse en Marsella?", send: "Enviar",
         locate: "📍 Usar mi ubicación", located: "📍 Ubicación compartida", forget: "Olvidar mis datos",
         forgotten: "Hecho: he olvidado esta conversación.", sources: "Fuentes", open: "Asistente",
         close: "Cerrar", thanks: "¡Gracias!", language: "Idioma", auto: "Auto", error: "Lo sentimos, ha habido un error.",
         nolocation: "Su navegador no ha dado su ubicación.", up: "Respuesta útil", down: "Respuesta poco útil",
         audiences: {tourist: "Visitante", investor: "Inversor", resident: "Residente", student: "Estudiante"}},
    it: {title: "Fai la tua domanda", placeholder: "Dove fare il bagno a Marsiglia?", send: "Invia",
         locate: "📍 Usa la mia posizione", located: "📍 Posizione condivisa", forget: "Dimentica i miei dati",
         forgotten: "Fatto: ho dimenticato questa conversazione.", sources: "Fonti", open: "Assistente",
         close: "Chiudi", thanks: "Grazie!", language: "Lingua", auto: "Auto", error: "Spiacenti, si è verificato un errore.",
         nolocation: "Il browser non ha fornito la posizione.", up: "Risposta utile", down: "Risposta non utile",
         audiences: {tourist: "Visitatore", investor: "Investitore", resident: "Residente", student: "Studente"}},
    de: {title: "Stellen Sie Ihre Frage", placeholder: "Wo kann man in Marseille baden?", send: "Senden",
         locate: "📍 Meinen Standort nutzen", located: "📍 Standort geteilt", forget: "Meine Daten löschen",
         forgotten: "Erledigt: Ich habe dieses Gespräch vergessen.", sources: "Quellen", open: "Assistent",
         close: "Schließen", thanks: "Danke!", language: "Sprache", auto: "Auto", error: "Leider ist ein Fehler aufgetreten.",
         nolocation: "Ihr Browser hat keinen Standort geliefert.", up: "Hilfreiche Antwort", down: "Nicht hilfreich",
         audiences: {tourist: "Besucher", investor: "Investor", resident: "Einwohner", student: "Student"}}
  };
  var LANGS = ["fr", "en", "es", "it", "de"];

  function pick(lang) { return TEXT[lang] || TEXT.fr; }

  function randomHex(n) {
    var bytes = new Uint8Array(n);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sessionId() {
    var id = null;
    try { id = localStorage.getItem(KEY); } catch (e) { /* storage refused: a session per page */ }
    if (!id) {
      id = randomHex(18);
      try { localStorage.setItem(KEY, id); } catch (e) { /* ignore */ }
    }
    return id;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  var prefer = (script.dataset.lang || (navigator.language || "fr").slice(0, 2)).toLowerCase();
  var ui = pick(LANGS.indexOf(prefer) >= 0 ? prefer : "fr");
  var state = {session: sessionId(), language: "", audience: null, location: null, busy: false};

  var host = el("div", {"class": "loci-host"});
  var root = host.attachShadow({mode: "open"});
  root.appendChild(el("link", {rel: "stylesheet", href: BASE + "/static/chat.css"}));

  var log = el("div", {"class": "log", role: "log", "aria-live": "polite", "aria-label": ui.title});
  var input = el("textarea", {id: "q", rows: "2", maxlength: "2000", placeholder: ui.placeholder,
                              "aria-label": ui.title});
  var send = el("button", {type: "submit", "class": "send", text: ui.send});
  var form = el("form", {"class": "ask"}, [input, send]);
  var languageSelect = el("select", {"aria-label": ui.language, "class": "language"});
  languageSelect.appendChild(el("option", {value: "", text: ui.language + ": " + ui.auto}));
  LANGS.forEach(function (l) { languageSelect.appendChild(el("option", {value: l, text: l.toUpperCase()})); });
  var chips = el("div", {"class": "chips", role: "group"});
  Object.keys(ui.audiences).forEach(function (a) {
    var chip = el("button", {type: "button", "class": "chip", "aria-pressed": "false", "data-audience": a,
                             text: ui.audiences[a]});
    chip.addEventListener("click", function () {
      state.audience = state.audience === a ? null : a;
      Array.prototype.forEach.call(chips.children, function (c) {
        c.setAttribute("aria-pressed", String(c.dataset.audience === state.audience));
      });
    });
    chips.appendChild(chip);
  });
  var locate = el("button", {type: "button", "class": "tool locate", text: ui.locate});
  var forget = el("button", {type: "button", "class": "tool forget", text: ui.forget});
  var tools = el("div", {"class": "tools"}, [locate, languageSelect, forget]);
  var panel = el("section", {"class": "panel" + (FULL ? " full" : ""), "aria-label": ui.title},
                 [el("h2", {text: ui.title}), chips, log, form, tools]);
  root.appendChild(panel);

  if (!FULL) {
    var toggle = el("button", {type: "button", "class": "toggle", "aria-expanded": "false", text: "💬 " + ui.open});
    panel.hidden = true;
    toggle.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
      toggle.textContent = panel.hidden ? "💬 " + ui.open : "✕ " + ui.close;
      if (!panel.hidden) { input.focus(); }
    });
    root.appendChild(toggle);
  }
  (FULL ? document.getElementById("loci-chat") || document.body : document.body).appendChild(host);

  languageSelect.addEventListener("change", function () { state.language = languageSelect.value; });

  locate.addEventListener("click", function () {
    if (!navigator.geolocation) { note(ui.nolocation); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      state.location = {lat: pos.coords.latitude, lon: pos.coords.longitude};
      locate.textContent = ui.located;
      locate.setAttribute("aria-pressed", "true");
    }, function () { note(ui.nolocation); }, {timeout: 10000, maximumAge: 600000});
  });

  forget.addEventListener("click", function () {
    post("/api/forget", {session_id: state.session}).then(function () {
      try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
      state.session = sessionId();
      log.textContent = "";
      note(ui.forgotten);
    }).catch(function () { note(ui.error); });
  });

  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || state.busy) { return; }
    input.value = "";
    ask(text);
  });

  function post(path, body) {
    return fetch(BASE + path, {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(body)});
  }

  function note(text) {
    log.appendChild(el("p", {"class": "note", text: text}));
    log.scrollTop = log.scrollHeight;
  }

  function ask(text) {
    state.busy = true;
    send.disabled = true;
    log.appendChild(el("p", {"class": "me", text: text}));
    var bubble = el("div", {"class": "bot", "aria-busy": "true"});
    var body = el("p", {"class": "answer"});
    bubble.appendChild(body);
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    var payload = {session_id: state.session, text: text, message_id: randomHex(16)};
    if (state.language) { payload.language = state.language; }
    if (state.audience) { payload.audience = state.audience; }
    if (state.location) { payload.location = state.location; }
    post("/api/ask/stream", payload).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (j) { throw new Error(j.error || ui.error); },
                                    function () { throw new Error(ui.error); });
      }
      return readEvents(response, function (name, data) {
        if (name === "delta") {
          body.textContent += data.text;
          log.scrollTop = log.scrollHeight;
        } else if (name === "answer") {
          show(bubble, body, data);
        } else if (name === "error") {
          throw new Error(data.error || ui.error);
        }
      });
    }).catch(function (err) {
      body.textContent = err.message || ui.error;
      bubble.classList.add("failed");
    }).then(function () {
      bubble.removeAttribute("aria-busy");
      state.busy = false;
      send.disabled = false;
    });
  }

  function readEvents(response, handle) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { return; }
        buffer += decoder.decode(chunk.value, {stream: true});
        var parts = buffer.split("\n\n");
        buffer = parts.pop();
        parts.forEach(function (part) {
          var name = "message", data = "";
          part.split("\n").forEach(function (line) {
            if (line.indexOf("event: ") === 0) { name = line.slice(7); }
            if (line.indexOf("data: ") === 0) { data += line.slice(6); }
          });
          if (data) { handle(name, JSON.parse(data)); }
        });
        return pump();
      });
    }
    return pump();
  }

  function show(bubble, body, answer) {
    var t = pick(answer.language);
    var urls = {};
    (answer.citations || []).forEach(function (c) { urls[c.n] = c; });
    body.textContent = "";
    answer.answer.split(/(\[\d+\])/).forEach(function (piece) {
      var m = /^\[(\d+)\]$/.exec(piece);
      if (m && urls[m[1]]) {
        body.appendChild(el("a", {href: urls[m[1]].url, target: "_blank", rel: "noopener", "class": "cite",
                                  title: urls[m[1]].title, text: piece}));
      } else {
        body.appendChild(document.createTextNode(piece));
      }
    });
    bubble.dataset.status = answer.status;
    if (answer.citations && answer.citations.length) {
      var list = el("ol", {"class": "sources", "aria-label": t.sources});
      answer.citations.forEach(function (c) {
        list.appendChild(el("li", {value: String(c.n)}, [el("a", {href: c.url, target: "_blank", rel: "noopener",
                                                                  text: c.title})]));
      });
      bubble.appendChild(list);
    }
    var actions = el("div", {"class": "actions"});
    if (answer.redirect) {
      actions.appendChild(el("a", {"class": "redirect", target: "_blank", rel: "noopener",
                                   href: BASE + "/go/web:" + encodeURIComponent(answer.message_id),
                                   text: "➡️ " + answer.redirect.partner}));
    }
    if (answer.status === "answered" || answer.status === "abstained") {
      [[1, "👍", t.up], [-1, "👎", t.down]].forEach(function (v) {
        var b = el("button", {type: "button", "class": "vote", "aria-label": v[2], text: v[1]});
        b.addEventListener("click", function () {
          post("/api/feedback", {session_id: state.session, message_id: answer.message_id, value: v[0]})
            .then(function (r) { if (r.ok) { actions.querySelectorAll(".vote").forEach(function (x) {
              x.disabled = true; }); note(t.thanks); } });
        });
        actions.appendChild(b);
      });
    }
    bubble.appendChild(actions);
    log.scrollTop = log.scrollHeight;
  }
})();

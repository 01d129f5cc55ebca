// The session timer: a signed-in page warns shortly before the idle timeout, offers to stay
// signed in (a keep-alive POST), and when the session ends anyway keeps what was typed in the
// page's forms (sessionStorage, this tab only) and fills it back after the login returns here.
// No inline script: the page gives the timer its settings in #session-timer's data-* attributes.
(function () {
  "use strict";
  const DRAFT_KEY = "vpdt-draft:" + location.pathname;

  function fields(form) {
    return Array.from(form.elements).filter(function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") return false;
      if (el.tagName === "TEXTAREA") return true;
      if (el.tagName === "SELECT") return !el.multiple;
      return el.tagName === "INPUT" && ["text", "search", "email", "number", "date", "tel", "url"].includes(el.type);
    });
  }

  // Choices ticked or picked (co-handlers, for information, several recipients): kept by value.
  function choices(form) {
    return Array.from(form.elements).filter(function (el) {
      if (!el.name || el.disabled) return false;
      return (el.tagName === "INPUT" && (el.type === "checkbox" || el.type === "radio")) ||
        (el.tagName === "SELECT" && el.multiple);
    });
  }

  function chosen(el) {
    if (el.tagName === "SELECT") return Array.from(el.selectedOptions).map(function (o) { return o.value; });
    return el.checked ? [el.value] : [];
  }

  function saveDrafts() {
    const drafts = [];
    document.querySelectorAll("main form[method=post], main form[method=POST]").forEach(function (form, i) {
      const values = {};
      let any = false;
      fields(form).forEach(function (el) {
        if (el.value !== el.defaultValue || el.tagName === "SELECT") { values[el.name] = el.value; any = any || el.value !== ""; }
      });
      const picked = {};
      choices(form).forEach(function (el) {
        picked[el.name] = (picked[el.name] || []).concat(chosen(el));
        any = any || chosen(el).length > 0;
      });
      if (any) drafts.push({ form: i, values: values, picked: picked });
    });
    if (drafts.length) sessionStorage.setItem(DRAFT_KEY, JSON.stringify(drafts));
  }

  function restoreDrafts() {
    const raw = sessionStorage.getItem(DRAFT_KEY);
    if (!raw || !document.getElementById("session-timer")) return;  // wait until signed in again
    sessionStorage.removeItem(DRAFT_KEY);
    const forms = document.querySelectorAll("main form[method=post], main form[method=POST]");
    let restored = false;
    JSON.parse(raw).forEach(function (draft) {
      const form = forms[draft.form];
      if (!form) return;
      fields(form).forEach(function (el) {
        if (Object.prototype.hasOwnProperty.call(draft.values, el.name) && (el.value === "" || el.tagName === "SELECT")) {
          el.value = draft.values[el.name];
          restored = true;
        }
      });
      const picked = draft.picked || {};
      choices(form).forEach(function (el) {
        if (!Object.prototype.hasOwnProperty.call(picked, el.name)) return;
        const values = picked[el.name];
        if (el.tagName === "SELECT") {
          Array.from(el.options).forEach(function (o) { o.selected = values.includes(o.value); });
        } else {
          el.checked = values.includes(el.value);
        }
        restored = true;
      });
    });
    const notice = document.getElementById("draft-restored");
    if (restored && notice) notice.hidden = false;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function start(box) {
    const idle = parseInt(box.dataset.idle, 10) || 1800;
    const warnBefore = Math.min(60, Math.max(5, Math.floor(idle / 4)));
    let deadline = Date.now() + idle * 1000;
    let timer = null;
    let ticker = null;
    const countdown = box.querySelector("[data-countdown]");

    function schedule(remaining) {
      deadline = Date.now() + remaining * 1000;
      clearTimeout(timer);
      timer = setTimeout(check, Math.max(0, (remaining - warnBefore) * 1000));
    }

    function hide() {
      box.hidden = true;
      clearInterval(ticker);
      ticker = null;
    }

    function expire() {
      hide();
      saveDrafts();
      const back = location.pathname + location.search;
      location.assign(box.dataset.loginUrl + "?next=" + encodeURIComponent(back));
    }

    function show() {
      box.hidden = false;
      const tick = function () {
        const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
        countdown.textContent = String(left);
        if (left <= 0) {
          // Another tab may have kept the session alive meanwhile: ask before leaving.
          clearInterval(ticker);
          ticker = null;
          ask().then(function (remaining) { if (remaining > 0) { hide(); schedule(remaining); } else { expire(); } });
        }
      };
      tick();
      if (!ticker) ticker = setInterval(tick, 1000);
    }

    function ask() {
      return fetch(box.dataset.statusUrl, { headers: { "X-VPDT-Background": "1" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) { return body.remaining; })
        .catch(function () { return 0; });
    }

    function check() {
      ask().then(function (remaining) {
        if (remaining > warnBefore) { schedule(remaining); return; }
        deadline = Date.now() + remaining * 1000;
        show();
      });
    }

    box.querySelector("[data-keepalive]").addEventListener("click", function () {
      fetch(box.dataset.keepaliveUrl, { method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() } })
        .then(function (r) { return r.json(); })
        .then(function (body) { if (body.remaining > 0) { hide(); schedule(body.remaining); } else { expire(); } })
        .catch(expire);
    });
    // A form sent after the session ended comes back as the login page: keep a copy first.
    document.addEventListener("submit", function () { if (Date.now() >= deadline) saveDrafts(); }, true);
    schedule(idle);
  }

  document.addEventListener("DOMContentLoaded", function () {
    restoreDrafts();
    const box = document.getElementById("session-timer");
    if (box) start(box);
  });
})();

// Progressive enhancement only: every page works without this file.
// Close open <details> menus on Escape or on a click elsewhere.
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  document.querySelectorAll("details[open]").forEach((d) => {
    d.removeAttribute("open");
    d.querySelector("summary")?.focus();
  });
});
document.addEventListener("click", (e) => {
  document.querySelectorAll("details.user-menu[open], details.menu[open]").forEach((d) => {
    if (!d.contains(e.target)) d.removeAttribute("open");
  });
});

// Username suggestions for <input data-user-autocomplete="/api/users" list="…">:
// fills the input's <datalist> from the JSON API. Without JS the field is a
// plain text field and the server checks the username.
document.querySelectorAll("input[data-user-autocomplete]").forEach((input) => {
  const list = input.list;
  if (!list) return;
  let timer = null;
  let last = "";
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (q === last || q.length < 1) return;
      last = q;
      try {
        const url = input.dataset.userAutocomplete + "?q=" + encodeURIComponent(q);
        const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!r.ok) return;
        const users = await r.json();
        list.replaceChildren(...users.map((u) => {
          const o = document.createElement("option");
          o.value = u.username;
          o.label = u.name;
          return o;
        }));
      } catch (_) {
        // Suggestions are a convenience; the form works without them.
      }
    }, 150);
  });
});

// Username suggestions for the invite form's "Send to" <textarea
// data-autocomplete="/api/users">: the word being typed is looked up and
// offered as buttons below the field; choosing one completes that word.
document.querySelectorAll("textarea[data-autocomplete]").forEach((area) => {
  const list = document.getElementById(area.id + "-suggestions");
  if (!list) return;
  let timer = null;
  const currentWord = () => {
    const upto = area.value.slice(0, area.selectionStart);
    const start = Math.max(...[",", ";", " ", "\n", "\t"].map((s) => upto.lastIndexOf(s))) + 1;
    return { start, word: upto.slice(start) };
  };
  const status = document.getElementById(area.id + "-suggestions-status");
  const say = (text) => { if (status) status.textContent = text; };
  const hide = () => { list.hidden = true; list.replaceChildren(); say(""); };
  area.addEventListener("keydown", (e) => { if (e.key === "Escape") hide(); });
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const { start, word } = currentWord();
      if (word.length < 1 || word.includes("@")) return hide();
      try {
        // On a group's invite form, its members are left out.
        const group = area.dataset.autocompleteGroup;
        const url = area.dataset.autocomplete + "?q=" + encodeURIComponent(word) +
          (group ? "&group=" + encodeURIComponent(group) : "");
        const r = await fetch(url, {
          credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (!r.ok) return hide();
        const users = await r.json();
        if (users.length === 0) return hide();
        list.replaceChildren(...users.map((u) => {
          const li = document.createElement("li");
          const b = document.createElement("button");
          b.type = "button";
          b.className = "suggestion secondary";
          b.dataset.username = u.username;
          b.textContent = u.username + " (" + u.name + ")";
          b.addEventListener("click", () => {
            const end = area.selectionStart > start ? area.selectionStart : start + word.length;
            area.value = area.value.slice(0, start) + u.username + ", " + area.value.slice(end);
            const caret = start + u.username.length + 2;
            area.focus();
            area.setSelectionRange(caret, caret);
            hide();
          });
          li.appendChild(b);
          return li;
        }));
        list.hidden = false;
        say(`${users.length} suggestion${users.length === 1 ? "" : "s"} below; press Tab to reach them.`);
      } catch (_) {
        hide();
      }
    }, 150);
  });
});

// "Copy invitation link": copies the link next to the button. Without JS the
// button stays hidden and the read-only field can be selected and copied.
// In a list's row menu the button carries the link itself (data-copy-text);
// without JS it stays hidden and the menu's "Details and link" leads to it.
document.querySelectorAll("button[data-copy], button[data-copy-text]").forEach((button) => {
  const field = button.dataset.copy ? document.getElementById(button.dataset.copy) : null;
  const text = field ? field.value : button.dataset.copyText;
  if (!text || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (_) {
      if (field) field.select();
    }
  });
});

// Long "Send to" lists: sent in slices of 25 so the page shows progress
// (each slice is its own request and each entry its own transaction on the
// server). The whole list is checked first: entries that cannot be anybody
// send the form itself, which shows them in the form. Every slice adds to
// one report, whose result page opens at the end, as after a plain post.
// Short lists, and browsers without this script, post the form.
document.querySelectorAll("form.invite-form").forEach((form) => {
  const section = document.querySelector(".bulk-progress");
  if (!section || !window.fetch) return;
  const SLICE = 25;
  const post = (body) =>
    fetch(form.getAttribute("action"), {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  form.addEventListener("submit", async (e) => {
    const submitter = e.submitter;
    if (submitter && submitter.value !== "send") return;
    const entries = form.elements.send_to.value.split(/[,;\s]+/).filter((s) => s.length > 0);
    if (entries.length <= SLICE) return;
    e.preventDefault();
    const bar = section.querySelector("progress");
    const count = section.querySelector(".bulk-count");
    const list = section.querySelector(".invite-results");
    const check = new URLSearchParams(new FormData(form));
    check.set("action", "check");
    try {
      const r = await post(check);
      if (r.status === 422) { form.submit(); return; }
      if (!r.ok) throw new Error(String(r.status));
    } catch (err) {
      section.hidden = false;
      count.textContent = `Nothing sent: ${err.message}. Try again.`;
      return;
    }
    section.hidden = false;
    list.replaceChildren();
    bar.max = entries.length;
    let done = 0, ok = 0, report = null, result = null;
    for (let i = 0; i < entries.length; i += SLICE) {
      const body = new URLSearchParams(new FormData(form));
      body.set("send_to", entries.slice(i, i + SLICE).join(", "));
      body.set("action", "send");
      if (report) body.set("report", report);
      let answer;
      try {
        const r = await post(body);
        if (!r.ok) throw new Error(String(r.status));
        answer = await r.json();
      } catch (err) {
        count.textContent = `Stopped after ${done} of ${entries.length}: ${err.message}. The ones listed were handled; send the rest again.`;
        return;
      }
      report = answer.report;
      result = answer.result;
      for (const l of answer.lines) {
        const li = document.createElement("li");
        li.className = l.ok ? "ok" : "refused";
        const strong = document.createElement("strong");
        strong.textContent = l.entry;
        const span = document.createElement("span");
        span.className = "outcome";
        span.textContent = l.outcome;
        li.append(strong, ": ", span);
        list.appendChild(li);
        if (l.ok) ok += 1;
      }
      done = Math.min(entries.length, i + SLICE);
      bar.value = done;
      count.textContent = `${done} of ${entries.length} handled, ${ok} invited.`;
    }
    count.textContent = `Done: ${entries.length} handled, ${ok} invited. Opening the result…`;
    if (result) window.location.assign(result);
  });
});

// A community's invite form: the "gives access to" line follows the choice
// of the whole community or some managed communities as it is made (the
// server says the same after "Update preview" without this script).
document.querySelectorAll("form.invite-form p.reach[data-whole]").forEach((line) => {
  const form = line.closest("form");
  const strong = line.querySelector("strong");
  const names = (list) =>
    list.length <= 1 ? list.join("") : `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
  const update = () => {
    const chosen = form.querySelector("input[name=scope][value=chosen]:checked");
    if (!chosen) {
      strong.textContent = line.dataset.whole;
      return;
    }
    const picked = [...form.querySelectorAll("input[name=community]:checked")].map((c) =>
      c.parentElement.textContent.trim(),
    );
    strong.textContent = picked.length ? names(picked) : "(the managed communities you choose)";
  };
  form.addEventListener("change", (e) => {
    if (e.target.name === "scope" || e.target.name === "community") update();
  });
});

// The group form's Address follows the Name until the person edits it
// (the server does the same when the field is left empty).
(() => {
  const name = document.querySelector("form input#name");
  const slug = document.querySelector("form input#slug");
  if (!name || !slug) return;
  let edited = slug.value.trim() !== "";
  const suggest = (s) =>
    s.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+/, "").slice(0, 64).replace(/-+$/, "");
  slug.addEventListener("input", () => { edited = slug.value.trim() !== ""; });
  name.addEventListener("input", () => { if (!edited) slug.value = suggest(name.value); });
})();

// Members page: a member's role is saved as soon as it is chosen (the
// select posts its form), so the "Change role" button, which does the same
// without this script, is hidden and the hint above the list says so.
document.querySelectorAll("form.role-form").forEach((form) => {
  const select = form.querySelector("select");
  const button = form.querySelector("button[type=submit]");
  if (!select || !button) return;
  button.hidden = true;
  document.querySelectorAll(".role-hint").forEach((hint) => { hint.hidden = false; });
  select.addEventListener("change", () => {
    select.setAttribute("aria-busy", "true");
    form.submit();
  });
});

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
  const hide = () => { list.hidden = true; list.replaceChildren(); };
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const { start, word } = currentWord();
      if (word.length < 1 || word.includes("@")) return hide();
      try {
        const r = await fetch(area.dataset.autocomplete + "?q=" + encodeURIComponent(word), {
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
      } catch (_) {
        hide();
      }
    }, 150);
  });
});

// "Copy invitation link": copies the link next to the button. Without JS the
// button stays hidden and the read-only field can be selected and copied.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
    } catch (_) {
      field.select();
    }
  });
});

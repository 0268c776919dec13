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

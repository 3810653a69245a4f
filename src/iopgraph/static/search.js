// Autocomplete for the header search box: an ARIA 1.2 combobox with a listbox popup.
// Without this script the box is a plain search form (GET /search?q=...).
// Keys: ArrowDown/ArrowUp move through the suggestions, Enter opens the one selected
// (or searches when none is), Escape closes the list (a second Escape clears the box).
(function () {
  "use strict";
  var form = document.querySelector("form.site-search[data-suggest]");
  if (!form) { return; }
  var input = form.querySelector("input[name=q]");
  var endpoint = form.getAttribute("data-suggest");
  var list = document.createElement("ul");
  var status = document.createElement("span");
  var items = [];
  var active = -1;
  var timer = null;
  var latest = 0;

  list.id = input.id + "-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.className = "suggestions";
  list.hidden = true;
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.parentNode.appendChild(list);
  form.appendChild(status);

  function close() {
    clearTimeout(timer);
    latest++;  // an answer still on its way must not open the list again
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function select(index) {
    var options = list.children;
    if (active >= 0 && options[active]) { options[active].setAttribute("aria-selected", "false"); }
    active = index;
    if (index < 0 || !options[index]) { input.removeAttribute("aria-activedescendant"); return; }
    options[index].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function show(found) {
    items = found;
    list.textContent = "";
    found.forEach(function (item, i) {
      var li = document.createElement("li");
      var kind = document.createElement("span");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = item.label;
      if (item.kind) {
        kind.className = "kind";
        kind.textContent = " " + item.kind;
        li.appendChild(kind);
      }
      li.addEventListener("mousedown", function (event) { event.preventDefault(); });
      li.addEventListener("click", function () { window.location.href = item.href; });
      list.appendChild(li);
    });
    active = -1;
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", found.length ? "true" : "false");
    status.textContent = found.length ? found.length + " suggestions; use the arrow keys to choose" : "No suggestions";
  }

  function fetchSuggestions() {
    var text = input.value.trim();
    if (text.length < 2) { show([]); status.textContent = ""; return; }
    var ticket = ++latest;
    fetch(endpoint + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (body) { if (ticket === latest) { show(body.suggestions || []); } })
      .catch(function () { if (ticket === latest) { show([]); } });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && items.length > 0;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open) { fetchSuggestions(); return; }
      select(active + 1 >= items.length ? 0 : active + 1);
    } else if (event.key === "ArrowUp") {
      if (!open) { return; }
      event.preventDefault();
      select(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter") {
      if (open && active >= 0) {
        event.preventDefault();
        window.location.href = items[active].href;
      }
    } else if (event.key === "Escape") {
      if (open) { event.preventDefault(); close(); } else { input.value = ""; }
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
})();

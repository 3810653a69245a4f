// The steward workbench's form: live validation through the write gate (a dry run), pick-list suggestions,
// "add another" for repeatable fields. Without JavaScript the form still works (submit, then read the messages).
(function () {
  "use strict";
  var form = document.getElementById("wb-form");
  if (!form) { return; }
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var sequence = 0;
  var requested = 0;

  function values() {
    var data = new FormData(form);
    var out = {};
    data.forEach(function (value, key) {
      if (key === "csrf_token" || key === "kind" || key === "iri" || key === "note") { return; }
      (out[key] = out[key] || []).push(String(value));
    });
    return out;
  }

  function show(container, messages) {
    container.textContent = "";
    (messages || []).forEach(function (text) {
      var p = document.createElement("p");
      p.className = "wb-error";
      p.textContent = text;
      container.appendChild(p);
    });
  }

  function render(answer) {
    form.querySelectorAll(".wb-field").forEach(function (field) {
      var key = field.getAttribute("data-key");
      var messages = answer.fields[key] || [];
      show(document.getElementById("msg-" + key), messages);
      field.classList.toggle("wb-invalid", messages.length > 0);
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (messages.length) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      });
    });
    show(document.getElementById("wb-general"), (answer.general || []).map(function (r) {
      return r.severity + ": " + r.message;
    }));
    if (answer.iri) { document.getElementById("wb-iri").textContent = answer.iri; }
    var verdict = document.getElementById("wb-verdict");
    verdict.textContent = answer.conforms ? "The shapes accept it." : "Not yet valid: see the messages.";
    form.setAttribute("data-checked", String(++sequence));
    form.setAttribute("data-conforms", String(answer.conforms));
  }

  function check() {
    var mine = ++requested;  // only the answer to the latest check is shown
    var body = JSON.stringify({
      kind: form.getAttribute("data-kind"),
      iri: form.querySelector("input[name=iri]").value || null,
      values: values()
    });
    fetch("/edit/check", {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}
    }).then(function (response) {
      return response.json().then(function (answer) { return {ok: response.ok, answer: answer}; });
    }).then(function (result) {
      if (mine !== requested) { return; }
      if (result.ok) { render(result.answer); } else {
        show(document.getElementById("wb-general"), [result.answer.detail || "The check failed."]);
      }
    }).catch(function () {
      show(document.getElementById("wb-general"), ["The server could not be reached to check the form."]);
    });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(check, 300);
  }

  var lookups = {};
  function suggest(input) {
    var q = input.value;
    if (q.indexOf("://") >= 0 && q.length > 12) { return; }
    var url = "/edit/lookup?" + input.getAttribute("data-lookup") + "=" +
      encodeURIComponent(input.getAttribute("data-target")) + "&q=" + encodeURIComponent(q);
    if (lookups[input.id]) { clearTimeout(lookups[input.id]); }
    lookups[input.id] = setTimeout(function () {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (items) {
        var list = document.getElementById(input.getAttribute("list"));
        list.textContent = "";
        items.forEach(function (item) {
          var option = document.createElement("option");
          option.value = item.iri;
          option.label = item.label;
          option.textContent = item.label;
          list.appendChild(option);
        });
        input.setAttribute("data-suggestions", String(items.length));
      });
    }, 150);
  }

  form.addEventListener("input", function (event) {
    var target = event.target;
    if (target.getAttribute && target.getAttribute("data-lookup")) { suggest(target); }
    later();
  });
  form.addEventListener("change", later);

  form.querySelectorAll("button[data-more]").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-more");
      var box = document.getElementById("inputs-" + key);
      var inputs = box.querySelectorAll("input, select, textarea");
      var last = inputs[inputs.length - 1];
      var copy = last.cloneNode(true);
      copy.value = "";
      copy.id = "in-" + key + "-" + inputs.length;
      box.appendChild(copy);
      copy.focus();
    });
  });
  check();
})();

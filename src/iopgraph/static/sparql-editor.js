/* The SPARQL editor of /sparql: YASGUI when `make web` installed it, else a plain built-in editor.
   Both show result IRIs of the graph as links to this server's pages and errors as readable text. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("iopgraph-editor-config").textContent);
  // Query the origin the page came from (localhost vs 127.0.0.1 must not cross the CSP), absolute for YASGUI.
  config.endpoint = new URL(new URL(config.endpoint, location.href).pathname, location.href).href;
  var GRAPH = "https://w3id.org/iopgraph/";

  function localHref(iri) {
    return iri.indexOf(GRAPH) === 0 ? "/" + iri.slice(GRAPH.length) : iri;
  }

  function prefixed(iri) {
    var best = null;
    Object.keys(config.prefixes).forEach(function (p) {
      var ns = config.prefixes[p];
      if (iri.indexOf(ns) === 0 && (!best || ns.length > config.prefixes[best].length)) { best = p; }
    });
    return best ? best + ":" + iri.slice(config.prefixes[best].length) : iri;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* An error answer (problem+json or text) as a readable block. */
  function errorBlock(status, statusText, text) {
    var box = el("div", {"class": "problem", role: "alert", id: "sparql-error"});
    var title = status ? "Error " + status + (statusText ? " " + statusText : "") : "Error";
    var detail = text;
    try {
      var problem = JSON.parse(text);
      if (problem && typeof problem === "object") {
        title = (problem.title || title) + " (" + (problem.status || status) + ")";
        detail = problem.detail || text;
      }
    } catch (e) { /* not JSON: show the text as it is */ }
    box.appendChild(el("h2", {}, title));
    box.appendChild(el("pre", {"class": "sparql-error"}, detail));
    return box;
  }

  function termCell(term) {
    var td = el("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      td.appendChild(el("a", {href: localHref(term.value), title: term.value}, prefixed(term.value)));
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.appendChild(el("span", term["xml:lang"] ? {lang: term["xml:lang"]} : {}, term.value));
      var note = term["xml:lang"] ? "@" + term["xml:lang"] : (term.datatype ? prefixed(term.datatype) : "");
      if (note) { td.appendChild(document.createTextNode(" ")); td.appendChild(el("small", {"class": "dt"}, note)); }
    }
    return td;
  }

  function resultsTable(json) {
    if (typeof json.boolean === "boolean") { return el("p", {"class": "ask-result"}, "Answer: " + json.boolean); }
    var vars = json.head.vars, rows = json.results.bindings;
    var wrap = el("div", {"class": "sparql-results"});
    wrap.appendChild(el("p", {"class": "count"}, rows.length + " row" + (rows.length === 1 ? "" : "s")));
    var table = el("table", {"class": "results-table"});
    var tr = el("tr");
    vars.forEach(function (v) { tr.appendChild(el("th", {scope: "col"}, "?" + v)); });
    table.appendChild(el("thead")).appendChild(tr);
    var body = table.appendChild(el("tbody"));
    rows.forEach(function (row) {
      var line = el("tr");
      vars.forEach(function (v) { line.appendChild(termCell(row[v])); });
      body.appendChild(line);
    });
    wrap.appendChild(table);
    return wrap;
  }

  function builtIn() {
    var query = document.getElementById("query");
    var out = document.getElementById("results");
    var button = document.getElementById("run");
    query.value = config.defaultQuery;
    document.getElementById("examples").addEventListener("change", function (event) {
      var example = config.examples[event.target.value];
      if (example) { query.value = example.query; }
      event.target.value = "";
    });
    function run() {
      out.textContent = "";
      out.appendChild(el("p", {"class": "running"}, "Running…"));
      button.disabled = true;
      fetch(config.endpoint, {
        method: "POST",
        headers: {"Content-Type": "application/x-www-form-urlencoded",
                  "Accept": "application/sparql-results+json, text/turtle;q=0.9"},
        body: "query=" + encodeURIComponent(query.value)
      }).then(function (response) {
        return response.text().then(function (text) {
          out.textContent = "";
          var type = response.headers.get("content-type") || "";
          if (!response.ok) {
            out.appendChild(errorBlock(response.status, response.statusText, text));
          } else if (type.indexOf("json") >= 0) {
            out.appendChild(resultsTable(JSON.parse(text)));
          } else {
            out.appendChild(el("pre", {"class": "graph-result"}, text));
          }
        });
      }).catch(function (error) {
        out.textContent = "";
        out.appendChild(errorBlock(0, "", "The endpoint could not be reached: " + error));
      }).then(function () { button.disabled = false; });
    }
    button.addEventListener("click", run);
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(); }
    });
    window.iopgraphEditor = {run: run, query: query};
  }

  function withYasgui() {
    Yasgui.Yasqe.defaults.value = config.defaultQuery;
    /* Errors (problem+json) as their message, wrapped, rather than one line of JSON. */
    Yasgui.Yasr.defaults.errorRenderers = [function (error) {
      return Promise.resolve(errorBlock(error.status || 0, error.statusText || "", error.text || String(error)));
    }];
    var request = {endpoint: config.endpoint, method: "POST"};
    var yasgui = new Yasgui(document.getElementById("yasgui"), {
      requestConfig: request,
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: {getData: function () { return [{endpoint: config.endpoint}]; }},
      persistenceId: null,
      yasr: {prefixes: config.prefixes}
    });
    window.iopgraphYasgui = yasgui;
    /* YASGUI's own markup, made accessible: labelled inputs, a keyboard-reachable scroller, tab roles. */
    function accessible() {
      var root = document.getElementById("yasgui");
      Array.prototype.forEach.call(root.querySelectorAll(".CodeMirror textarea:not([aria-label])"), function (t) {
        t.setAttribute("aria-label", "SPARQL query");
      });
      Array.prototype.forEach.call(root.querySelectorAll("input.autocomplete:not([aria-label])"), function (i) {
        i.setAttribute("aria-label", "SPARQL endpoint");
      });
      Array.prototype.forEach.call(root.querySelectorAll(".CodeMirror-scroll:not([tabindex=\"0\"])"), function (s) {
        s.setAttribute("tabindex", "0");
      });
      /* the tab bar holds an "add tab" button, which a tablist may not: the tabs are plain links instead */
      Array.prototype.forEach.call(root.querySelectorAll('.tabsList[role="tablist"]'), function (l) {
        l.removeAttribute("role");
      });
      Array.prototype.forEach.call(root.querySelectorAll('.tabsList a[role="tab"]'), function (a) {
        a.removeAttribute("role");
        if (a.getAttribute("aria-selected") === "true") { a.setAttribute("aria-current", "true"); }
        a.removeAttribute("aria-selected");
      });
    }
    accessible();
    new MutationObserver(accessible).observe(document.getElementById("yasgui"), {childList: true, subtree: true});
    /* Result IRIs of the graph link to this server's pages, in the same tab. */
    new MutationObserver(function () {
      var links = document.querySelectorAll('#yasgui .yasr a[href^="' + GRAPH + '"]');
      Array.prototype.forEach.call(links, function (a) {
        a.setAttribute("href", localHref(a.getAttribute("href")));
        a.removeAttribute("target");
      });
    }).observe(document.getElementById("yasgui"), {childList: true, subtree: true});
    document.getElementById("examples").addEventListener("change", function (event) {
      var example = config.examples[event.target.value];
      if (!example) { return; }
      var tab = yasgui.addTab(true, {name: example.summary, requestConfig: request});
      tab.setQuery(example.query);
      event.target.value = "";
    });
  }

  if (config.yasgui && typeof Yasgui !== "undefined") { withYasgui(); } else { builtIn(); }
})();

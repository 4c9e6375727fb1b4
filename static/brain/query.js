// The Cypher console: post the form as JSON and draw the rows as a table.
(function () {
  "use strict";
  const form = document.getElementById("brain-query-form");
  const out = document.getElementById("brain-results");
  if (!form || !out) return;

  function cell(value) {
    const td = document.createElement("td");
    if (value !== null && typeof value === "object") {
      const pre = document.createElement("pre");
      pre.textContent = JSON.stringify(value, null, 1);
      td.appendChild(pre);
    } else {
      td.textContent = value === null ? "null" : String(value);
    }
    return td;
  }

  function table(data) {
    const t = document.createElement("table");
    const head = t.createTHead().insertRow();
    data.columns.forEach(function (name) {
      const th = document.createElement("th");
      th.textContent = name;
      head.appendChild(th);
    });
    const body = t.createTBody();
    data.rows.forEach(function (row) {
      const tr = body.insertRow();
      data.columns.forEach(function (name) { tr.appendChild(cell(row[name])); });
    });
    return t;
  }

  function message(text, isError) {
    const p = document.createElement("p");
    p.className = isError ? "brain-error" : "muted";
    p.textContent = text;
    return p;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    out.replaceChildren(message("Running…", false));
    let params;
    try {
      params = JSON.parse(form.params.value || "{}");
    } catch (err) {
      out.replaceChildren(message("Parameters are not valid JSON: " + err.message, true));
      return;
    }
    // The server stops a query after its own time limit; this one only keeps the page
    // from waiting forever if the connection hangs.
    const controller = new AbortController();
    const timer = setTimeout(function () { controller.abort(); }, 60000);
    let response;
    try {
      response = await fetch(form.action, {
        signal: controller.signal,
        method: "POST",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
                  "X-CSRFToken": form.csrfmiddlewaretoken.value},
        body: JSON.stringify({project: form.project.value, query: form.query.value, params: params}),
      });
    } catch (err) {
      out.replaceChildren(message("The query did not come back: " + err.message, true));
      return;
    } finally {
      clearTimeout(timer);
    }
    const data = await response.json().catch(function () { return {error: response.statusText}; });
    if (!response.ok) {
      out.replaceChildren(message(data.error || ("HTTP " + response.status), true));
      return;
    }
    const summary = data.count + " row" + (data.count === 1 ? "" : "s") +
      (data.truncated ? " (limit reached)" : "");
    out.replaceChildren(message(summary, false), table(data));
  });
})();

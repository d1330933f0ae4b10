// The dashboard's live figures: poll /admin/live and update the list version and the
// lagging terminals in place. Without this script the page shows a reload link.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status || !window.fetch) { return; }
  var url = status.getAttribute("data-live");
  var template = status.getAttribute("data-template");
  var version = document.getElementById("list-version");
  var rows = document.getElementById("lagging-rows");
  var none = document.getElementById("no-lagging");
  var never = document.getElementById("lagging").getAttribute("data-never");

  function cell(row, value, className) {
    var td = document.createElement("td");
    td.className = className;
    td.textContent = value === null || value === undefined ? "" : String(value);
    row.appendChild(td);
  }

  function show(data) {
    if (version.textContent !== String(data.list_version)) { version.textContent = String(data.list_version); }
    while (rows.firstChild) { rows.removeChild(rows.firstChild); }
    data.lagging.forEach(function (lag) {
      var tr = document.createElement("tr");
      cell(tr, lag.terminal_id, "mono");
      cell(tr, lag.institution, "");
      cell(tr, lag.region, "mono");
      cell(tr, lag.list_version, "num mono");
      cell(tr, lag.list_synced_at || never, "mono");
      rows.appendChild(tr);
    });
    none.hidden = data.lagging.length > 0;
    var link = status.querySelector("a");
    status.textContent = template.replace("{at}", data.checked_at) + " · ";
    status.appendChild(link || document.createElement("a"));
  }

  var timer = null;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (answer) {
        // Signed out (the session ended while idle): stop, and leave the reload link.
        if (answer.redirected || !answer.ok) { window.clearInterval(timer); return null; }
        return answer.json();
      })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* the reload link still works */ });
  }

  poll();
  timer = window.setInterval(poll, 5000);
}());

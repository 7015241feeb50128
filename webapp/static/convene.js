// Convene: sortable and filterable tables, job progress bars. No dependencies.
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-value");
    return v !== null ? v : cell.textContent.trim();
  }
  function compare(a, b) {
    var na = parseFloat(a), nb = parseFloat(b);
    if (!isNaN(na) && !isNaN(nb) && String(na) === a.replace(/^0+(?=\d)/, "") ) return na - nb;
    return a.localeCompare(b, document.documentElement.lang, { numeric: true });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      if (th.hasAttribute("data-nosort")) return;
      th.setAttribute("data-sort", "");
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(cellValue(r1, index), cellValue(r2, index));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  });
  document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter-table"));
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = q && row.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
  });
  // A <progress data-job-url> polls its job until it is done, then reloads the page.
  document.querySelectorAll("progress[data-job-url]").forEach(function (bar) {
    var label = document.getElementById(bar.getAttribute("aria-describedby") || "");
    function poll() {
      fetch(bar.getAttribute("data-job-url"), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          bar.value = job.percent; bar.max = 100;
          if (label) label.textContent = job.percent + "% " + (job.message || "");
          if (job.state === "done" && job.url) { window.location.assign(job.url); }
          else if (job.state === "done" || job.state === "failed") { window.location.reload(); }
          else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    poll();
  });
})();

// The criteria form's "Add a criterion" (proposals/officer_call_criteria.html): a copy of
// the formset's empty row, numbered next, up to the formset's maximum. Without script the
// button stays hidden and each save brings two empty rows.
(function () {
  var form = document.getElementById("criteria-form");
  var template = document.getElementById("criterion-row");
  var button = document.getElementById("add-criterion");
  if (!form || !template || !button) { return; }
  var total = form.querySelector("input[name$='-TOTAL_FORMS']");
  var most = form.querySelector("input[name$='-MAX_NUM_FORMS']");
  var body = form.querySelector("table.criteria-edit tbody");
  function full() { return parseInt(total.value, 10) >= parseInt(most.value, 10); }
  button.hidden = false;
  button.disabled = full();
  var hint = document.getElementById("more-rows");
  if (hint) { hint.hidden = true; }
  function addRow() {
    var n = parseInt(total.value, 10);
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(n));
    var row = holder.querySelector("tr");
    body.appendChild(row);
    total.value = String(n + 1);
    button.disabled = full();
    return row;
  }
  button.addEventListener("click", function () {
    if (full()) { return; }
    var first = addRow().querySelector("input:not([type=hidden])");
    if (first) { first.focus(); }
  });
  // typing kept in the tab (mapapp/keep_typed.js) and offered back: rows added before the
  // send that never arrived come back too
  form.addEventListener("wcs:before-restore", function (event) {
    var rows = 0;
    Object.keys(event.detail || {}).forEach(function (name) {
      var match = /^criteria-(\d+)-/.exec(name);
      if (match) { rows = Math.max(rows, parseInt(match[1], 10) + 1); }
    });
    while (parseInt(total.value, 10) < rows && !full()) { addRow(); }
  });
})();

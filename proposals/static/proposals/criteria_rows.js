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
  button.addEventListener("click", function () {
    if (full()) { return; }
    var n = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(n));
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.querySelector("tr");
    body.appendChild(row);
    total.value = String(n + 1);
    button.disabled = full();
    var first = row.querySelector("input:not([type=hidden])");
    if (first) { first.focus(); }
  });
})();

/* Before/after comparison: the before photo lies over the after photo and is cut at the
   slider's position. A native range input, so it works with the keyboard too. */
(function () {
  "use strict";
  document.querySelectorAll("[data-before-after]").forEach(function (figure) {
    var before = figure.querySelector(".ba-before");
    var slider = figure.querySelector(".ba-slider");
    function update() {
      before.style.clipPath = "inset(0 " + (100 - slider.value) + "% 0 0)";
      figure.setAttribute("data-position", slider.value);
    }
    slider.addEventListener("input", update);
    update();
  });
})();

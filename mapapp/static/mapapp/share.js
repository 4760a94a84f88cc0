/* The share box (templates/mapapp/_share_box.html): the phone's own share sheet where the
   browser has one, and a button that copies the address; without them (or without this
   script) the address is there to select. */
(function () {
  "use strict";
  document.querySelectorAll("[data-share-url]").forEach(function (box) {
    var url = box.getAttribute("data-share-url");
    var title = box.getAttribute("data-share-title");
    var status = box.querySelector("[data-share-status]");
    var field = box.querySelector("[data-share-field]");
    var native = box.querySelector("[data-share-native]");
    var copy = box.querySelector("[data-share-copy]");
    if (native && navigator.share) {
      native.hidden = false;
      native.addEventListener("click", function () {
        navigator.share({ title: title, url: url }).catch(function () { /* dismissed */ });
      });
    }
    if (!copy) { return; }
    copy.hidden = false;
    copy.addEventListener("click", function () {
      function done() { status.textContent = box.getAttribute("data-copied"); }
      function byHand() {
        field.focus();
        field.select();
        status.textContent = box.getAttribute("data-copy-failed");
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(done, byHand);
      } else {
        byHand();
      }
    });
  });
})();

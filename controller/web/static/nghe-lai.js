// The public player's extra controls (skip 15 s, speed 0.75x-1.5x). Without this script the page keeps
// the browser's own audio controls, so nothing depends on it.
"use strict";
document.querySelectorAll("[data-trinh-phat]").forEach(function (box) {
  var audio = box.querySelector("audio");
  var controls = box.querySelector(".dieu-khien");
  if (!audio || !controls) { return; }
  controls.hidden = false;
  controls.querySelectorAll("[data-nhay]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = audio.currentTime + Number(button.getAttribute("data-nhay"));
      var end = isFinite(audio.duration) ? audio.duration : target;
      audio.currentTime = Math.max(0, Math.min(end, target));
    });
  });
  var speed = controls.querySelector("select");
  speed.addEventListener("change", function () { audio.playbackRate = Number(speed.value); });
});

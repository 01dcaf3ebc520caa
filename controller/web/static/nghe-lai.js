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

// An audiobook series ("sách nói") remembers, on this device only, the chapter and the second where the
// listener stopped (localStorage: no account, nothing sent), and offers "Nghe tiếp" from there. Without
// script (or storage) the chapter list plays as it is.
document.querySelectorAll("[data-sach-noi]").forEach(function (book) {
  var key = "nghe-lai:sach-noi:" + book.getAttribute("data-sach-noi");
  var players = Array.prototype.slice.call(book.querySelectorAll("audio[data-ma]"));
  var offer = book.querySelector("[data-nghe-tiep]");
  var storage;
  try { storage = window.localStorage; storage.getItem(key); } catch (e) { return; }
  var lastSaved = 0;
  function save(audio, time) {
    try { storage.setItem(key, JSON.stringify({chuong: audio.getAttribute("data-ma"), giay: time})); } catch (e) { /* full */ }
  }
  players.forEach(function (audio, index) {
    audio.addEventListener("timeupdate", function () {
      // Every 5 s of listening is enough to come back close to where one stopped, without a write per frame.
      if (Math.abs(audio.currentTime - lastSaved) >= 5) { lastSaved = audio.currentTime; save(audio, audio.currentTime); }
    });
    ["pause", "seeked"].forEach(function (name) {
      audio.addEventListener(name, function () { if (!audio.ended) { save(audio, audio.currentTime); } });
    });
    audio.addEventListener("ended", function () {
      var next = players[index + 1];
      if (next) { save(next, 0); next.play().catch(function () { /* the listener presses play */ }); }
      else { storage.removeItem(key); }
    });
  });
  var saved;
  try { saved = JSON.parse(storage.getItem(key) || "null"); } catch (e) { saved = null; }
  if (!saved || !offer) { return; }
  var audio = players.filter(function (a) { return a.getAttribute("data-ma") === saved.chuong; })[0];
  var seconds = Number(saved.giay);
  if (!audio || !isFinite(seconds) || seconds < 0) { return; }
  var item = audio.closest("li");
  var minutes = Math.floor(seconds / 60);
  var rest = Math.floor(seconds % 60);
  offer.querySelector("span").textContent = "Lần trước bạn dừng ở chương " + item.getAttribute("data-chuong") +
    ", phút " + minutes + ":" + (rest < 10 ? "0" : "") + rest + ".";
  offer.querySelector("button").textContent = "Nghe tiếp chương " + item.getAttribute("data-chuong");
  offer.hidden = false;
  function restore() { if (audio.currentTime < 0.01 && seconds > 0) { audio.currentTime = seconds; } }
  audio.preload = "metadata";
  audio.addEventListener("loadedmetadata", restore);
  if (audio.readyState >= 1) { restore(); }
  offer.querySelector("button").addEventListener("click", function () {
    restore();
    item.scrollIntoView();
    audio.focus();
    audio.play().catch(function () { /* the listener presses play */ });
  });
});

document.addEventListener("DOMContentLoaded", () => { console.log("hello from a baked file"); });

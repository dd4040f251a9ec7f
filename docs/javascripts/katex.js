// Render the \( \) and \[ \] spans that pymdownx.arithmatex (generic mode) emits, with the KaTeX
// shipped in docs/assets/katex (no network needed); re-run on every instant-navigation page load.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
  });
});

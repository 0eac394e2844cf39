// A QR code as an SVG built element by element (no markup from strings), for the merchant's
// payment request. The encoding is the qrcode-generator package's; error correction level M
// survives a phone camera at a shop counter.

import qrcode from "qrcode-generator";

const SVG = "http://www.w3.org/2000/svg";
/** Light modules around the code, as the QR standard asks for a reader to find it. */
const QUIET = 4;

/** `text` as a QR code, `px` pixels square. */
export function qrSvg(text: string, px = 240): SVGSVGElement {
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  const n = code.getModuleCount();
  const size = n + 2 * QUIET;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("width", String(px));
  svg.setAttribute("height", String(px));
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("data-qr-modules", String(n));
  const back = document.createElementNS(SVG, "rect");
  back.setAttribute("width", String(size));
  back.setAttribute("height", String(size));
  back.setAttribute("fill", "#fff");
  svg.append(back);
  // One path for every dark module: a small document however long the link.
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (code.isDark(r, c)) d += `M${c + QUIET} ${r + QUIET}h1v1h-1z`;
    }
  }
  const dark = document.createElementNS(SVG, "path");
  dark.setAttribute("d", d);
  dark.setAttribute("fill", "#000");
  svg.append(dark);
  return svg;
}

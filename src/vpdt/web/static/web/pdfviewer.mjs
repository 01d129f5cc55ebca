// In-browser PDF viewer with the project's own pdf.js (no Internet): renders the chosen file's pages.
const box = document.getElementById("pdf-pages");
const select = document.getElementById("pdf-select");
const status = document.getElementById("pdf-status");
const MAX_PAGES = 30;

const pdfjs = await import(box.dataset.lib);
pdfjs.GlobalWorkerOptions.workerSrc = box.dataset.worker;

async function show(url) {
  box.replaceChildren();
  status.textContent = "Đang tải…";
  try {
    const pdf = await pdfjs.getDocument({ url, isEvalSupported: false }).promise;
    const count = Math.min(pdf.numPages, MAX_PAGES);
    const width = Math.max(box.clientWidth - 24, 280);
    for (let n = 1; n <= count; n++) {
      const page = await pdf.getPage(n);
      const base = page.getViewport({ scale: 1 });
      const ratio = window.devicePixelRatio || 1;
      const viewport = page.getViewport({ scale: (width / base.width) * ratio });
      const canvas = document.createElement("canvas");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      canvas.style.width = `${viewport.width / ratio}px`;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `Trang ${n}/${pdf.numPages}`);
      box.appendChild(canvas);
      await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
    }
    status.textContent = `${pdf.numPages} trang${pdf.numPages > MAX_PAGES ? ` (hiển thị ${MAX_PAGES})` : ""}`;
    box.dataset.rendered = String(count);
  } catch (err) {
    status.textContent = "Không hiển thị được tệp này; hãy tải về.";
    console.error(err);
  }
}

select.addEventListener("change", () => show(select.value));
show(select.value);

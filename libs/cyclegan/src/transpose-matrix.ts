/** Row-major [rows, cols] -> row-major [cols, rows]. */
export function transposeMatrix(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) t[c * rows + r] = a[base + c];
  }
  return t;
}

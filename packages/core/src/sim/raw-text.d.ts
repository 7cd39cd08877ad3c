// Vite/Vitest `?raw` imports: tests read fixture text files without node:fs (core stays I/O-free).
declare module "*?raw" {
  const text: string;
  export default text;
}

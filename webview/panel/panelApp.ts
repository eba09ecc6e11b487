export function startPanel(app: HTMLElement): void {
  app.textContent = 'Stitch panel';
}

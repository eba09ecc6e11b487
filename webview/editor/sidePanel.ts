/**
 * A collapsible panel floating over one edge of the graph canvas (the palette on the left, the inspector on
 * the right): a header with its title and a collapse button, a scrolling body, and, while collapsed, a slim
 * tab on that edge that opens it again. The page keeps whether it is open in the webview state.
 */
import { el } from '../dom';

export class SidePanel {
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  private readonly tab: HTMLButtonElement;

  constructor(
    host: HTMLElement,
    name: string,
    title: string,
    side: 'left' | 'right',
    public open: boolean,
    private readonly changed: () => void,
  ) {
    this.element = el('aside', `side-panel ${side} ${name}`);
    this.element.setAttribute('aria-label', title);
    const header = el('div', 'side-panel-header');
    const close = el('button', `icon-button codicon codicon-chevron-${side}`);
    close.title = `Hide the ${title.toLowerCase()} (the toolbar button shows it again)`;
    close.setAttribute('aria-label', `Hide ${title}`);
    close.addEventListener('click', () => this.toggle(false));
    header.append(el('h2', '', title), close);
    this.body = el('div', 'side-panel-body');
    this.element.append(header, this.body);
    this.tab = el('button', `side-panel-tab ${side} ${name}-tab`);
    this.tab.append(
      el('span', `codicon codicon-chevron-${side === 'left' ? 'right' : 'left'}`),
      el('span', 'side-panel-tab-label', title),
    );
    this.tab.title = `Show the ${title.toLowerCase()}`;
    this.tab.addEventListener('click', () => this.toggle(true));
    host.append(this.element, this.tab);
    this.apply();
  }

  toggle(open = !this.open): void {
    this.open = open;
    this.apply();
    this.changed();
  }

  private apply(): void {
    this.element.hidden = !this.open;
    this.tab.hidden = this.open;
    this.element.parentElement?.classList.toggle(`${this.element.classList[2]}-open`, this.open);
  }
}

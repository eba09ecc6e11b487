/**
 * The panel's Test tab, host side: predictions for the drawn or typed input, with the activations of the
 * layers the page names, and the decision boundary's batch of plane points, through `POST /api/infer`
 * (docs/server.md). Errors are answered to the page, which shows them under the input. No vscode: tested in
 * Node against a real server (test/extension/panels/modelTabs.test.ts).
 */
import type { InferRequest } from '../../shared/protocol';
import type { PanelWebviewMessage } from '../../shared/webviewProtocol';
import type { ClientSource, Post } from './evaluationController';

type Predict = Extract<PanelWebviewMessage, { type: 'test/predict' }>;
type Boundary = Extract<PanelWebviewMessage, { type: 'test/boundary' }>;

export class TestController {
  constructor(
    private readonly client: ClientSource,
    private readonly post: Post,
  ) {}

  async predict({ requestId, runId, input, image, activations }: Predict): Promise<void> {
    try {
      const body: InferRequest = image ? { run_id: runId, pixels: input } : { run_id: runId, inputs: input };
      if (activations.length > 0) body.activations = activations;
      const answer = await (await this.client()).infer(body);
      this.post({
        type: 'test/result',
        requestId,
        runId,
        probabilities: answer.probabilities,
        activations: answer.activations ?? [],
      });
    } catch (err) {
      const error = (err as Error).message;
      this.post({ type: 'test/result', requestId, runId, probabilities: null, activations: [], error });
    }
  }

  async boundary({ requestId, runId, points }: Boundary): Promise<void> {
    try {
      const answer = await (await this.client()).inferBatch({ run_id: runId, batch: points });
      this.post({ type: 'test/boundary', requestId, runId, probabilities: answer.probabilities });
    } catch (err) {
      this.post({ type: 'test/boundary', requestId, runId, probabilities: null, error: (err as Error).message });
    }
  }
}

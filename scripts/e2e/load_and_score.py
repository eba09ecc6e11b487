# Run in a folder exported to PyTorch (docs/export.md), as its README says: load_model(), then score the
# exported test split. Prints {"accuracy": …, "count": …}. Used by the e2e walk-through (catalogSmoke.mjs)
# and the in-host suite (test/extension/suite/training.test.ts).
import json
import sys

import torch

sys.path.insert(0, ".")
from model import load_model  # noqa: E402
from train import load_split  # noqa: E402

model = load_model()
x, y = load_split("data/dataset.safetensors", "test")
with torch.no_grad():
    hits = (model(x).argmax(1) == y).sum().item()
print(json.dumps({"accuracy": hits / len(y), "count": len(y)}))

/**
 * Python classes for the transformer layers, written into an exported file
 * only when a node needs them. Each keeps the engine's parameter names and
 * layouts (`w_q` [head_size, width], `heads.0`, `w_o`, `fc1`, `ln1`), so
 * `state_dict()` keys match Tensorloom's checkpoint names.
 */

export type PythonClassName =
  | 'AttentionHead'
  | 'MultiHeadAttention'
  | 'FeedForward'
  | 'RMSNorm'
  | 'TransformerBlock'
  | 'LearnedPositions'
  | 'SinusoidalPositions'
  | 'Unembedding';

interface PythonClass {
  /** Classes this one builds, which must come before it in the file. */
  needs: readonly PythonClassName[];
  source: string;
}

const CLASSES: Record<PythonClassName, PythonClass> = {
  AttentionHead: {
    needs: [],
    source: String.raw`
class AttentionHead(nn.Module):
    """One head of scaled dot-product self-attention.

    Its parameters w_q, w_k and w_v are [head_size, width], as nn.Linear weights without bias.
    """

    def __init__(self, width: int, head_size: int, causal: bool) -> None:
        super().__init__()
        self.causal = causal
        self.w_q = nn.Parameter(torch.empty(head_size, width))
        self.w_k = nn.Parameter(torch.empty(head_size, width))
        self.w_v = nn.Parameter(torch.empty(head_size, width))
        for weight in (self.w_q, self.w_k, self.w_v):
            nn.init.xavier_uniform_(weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = F.linear(x, self.w_q)  # [B, T, H]
        k = F.linear(x, self.w_k)  # [B, T, H]
        v = F.linear(x, self.w_v)  # [B, T, H]
        # [B, T, H] @ [B, H, T] -> [B, T, T]
        scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
        if self.causal:
            length = x.shape[-2]
            later = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)  # [T, T]
            scores = scores.masked_fill(later, float("-inf"))
        return torch.softmax(scores, dim=-1) @ v  # [B, T, T] @ [B, T, H] -> [B, T, H]
`,
  },

  MultiHeadAttention: {
    needs: ['AttentionHead'],
    source: String.raw`
class MultiHeadAttention(nn.Module):
    """Attention heads side by side, joined along the features and mixed by w_o."""

    def __init__(self, width: int, head_count: int, causal: bool) -> None:
        super().__init__()
        head_size = width // head_count
        heads = [AttentionHead(width, head_size, causal) for _ in range(head_count)]
        self.heads = nn.ModuleList(heads)
        self.w_o = nn.Linear(head_count * head_size, width)
        nn.init.xavier_uniform_(self.w_o.weight)
        nn.init.zeros_(self.w_o.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # N x [B, T, H] -> [B, T, N*H]
        joined = torch.cat([head(x) for head in self.heads], dim=-1)
        return self.w_o(joined)
`,
  },

  FeedForward: {
    needs: [],
    source: String.raw`
class FeedForward(nn.Module):
    """The position-wise network of a transformer block: fc2(gelu(fc1(x)))."""

    def __init__(self, width: int, hidden_width: int, approximate: str) -> None:
        super().__init__()
        self.approximate = approximate
        self.fc1 = nn.Linear(width, hidden_width)
        self.fc2 = nn.Linear(hidden_width, width)
        for layer in (self.fc1, self.fc2):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.gelu(self.fc1(x), approximate=self.approximate)  # [B, T, C] -> [B, T, hidden]
        return self.fc2(hidden)  # [B, T, hidden] -> [B, T, C]
`,
  },

  RMSNorm: {
    needs: [],
    source: String.raw`
class RMSNorm(nn.Module):
    """Root-mean-square normalisation over the last axis: x / sqrt(mean(x^2) + eps) * weight."""

    def __init__(self, width: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight
`,
  },

  TransformerBlock: {
    needs: ['MultiHeadAttention', 'FeedForward', 'RMSNorm'],
    source: String.raw`
class TransformerBlock(nn.Module):
    """A pre-norm transformer block: x + attn(ln1(x)), then x + ff(ln2(x)).

    Dropout acts on the output of attn and of ff before each residual add.
    """

    def __init__(
        self,
        width: int,
        head_count: int,
        hidden_width: int,
        norm: str,
        approximate: str,
        dropout: float,
        causal: bool,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(width, eps=eps) if norm == "layer" else RMSNorm(width, eps)
        self.attn = MultiHeadAttention(width, head_count, causal)
        self.ln2 = nn.LayerNorm(width, eps=eps) if norm == "layer" else RMSNorm(width, eps)
        self.ff = FeedForward(width, hidden_width, approximate)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = x + self.dropout(self.attn(self.ln1(x)))  # [B, T, C]
        return hidden + self.dropout(self.ff(self.ln2(hidden)))  # [B, T, C]
`,
  },

  LearnedPositions: {
    needs: [],
    source: String.raw`
class LearnedPositions(nn.Module):
    """Add one learned vector per position, weight [max_length, width], to vectors [B, T, C]."""

    def __init__(self, max_length: int, width: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(max_length, width))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight[: x.shape[-2]]  # [B, T, C] + [T, C]
`,
  },

  SinusoidalPositions: {
    needs: [],
    source: String.raw`
class SinusoidalPositions(nn.Module):
    """Add fixed sines and cosines to vectors [B, T, C], from a non-persistent buffer."""

    def __init__(self, max_length: int, width: int) -> None:
        super().__init__()
        position = torch.arange(max_length, dtype=torch.float64).unsqueeze(1)  # [T, 1]
        column = torch.arange(0, width, 2, dtype=torch.float64)  # [ceil(C / 2)]
        angle = position / 10000.0 ** (column / width)  # [T, ceil(C / 2)]
        table = torch.zeros(max_length, width, dtype=torch.float64)
        table[:, 0::2] = torch.sin(angle)
        table[:, 1::2] = torch.cos(angle[:, : width // 2])
        self.register_buffer("table", table.float(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.table[: x.shape[-2]]  # [B, T, C] + [T, C]
`,
  },

  Unembedding: {
    needs: [],
    source: String.raw`
class Unembedding(nn.Module):
    """Map vectors [B, T, C] to logits [B, T, V] with weight [V, C].

    A tied layer has no weight of its own and takes the embedding table in forward().
    """

    def __init__(self, width: int, vocabulary_size: int, bias: bool, tied: bool) -> None:
        super().__init__()
        if tied:
            self.register_parameter("weight", None)
        else:
            self.weight = nn.Parameter(torch.empty(vocabulary_size, width))
            nn.init.xavier_uniform_(self.weight)
        self.bias = nn.Parameter(torch.zeros(vocabulary_size)) if bias else None

    def forward(self, x: torch.Tensor, tied_weight: torch.Tensor | None = None) -> torch.Tensor:
        weight = self.weight if tied_weight is None else tied_weight
        return F.linear(x, weight, self.bias)
`,
  },
};

/** Every class name the file may define, so the exported model class can avoid them. */
export const PYTHON_CLASS_NAMES: readonly PythonClassName[] = Object.keys(CLASSES) as PythonClassName[];

/** Returns the source of `names` and the classes they build, each once, dependencies first. */
export function pythonClassSources(names: Iterable<PythonClassName>): string[] {
  const ordered: PythonClassName[] = [];
  const visit = (name: PythonClassName) => {
    if (ordered.includes(name)) return;
    for (const needed of CLASSES[name].needs) visit(needed);
    ordered.push(name);
  };
  for (const name of names) visit(name);
  return ordered.map((name) => CLASSES[name].source.trim());
}

"""Reference cases for attention: MultiheadAttention, TransformerEncoder(Layer) and BERT.

Every case runs in evaluation mode (dropout off) with inputs that require gradients, so PyTorch
takes the slow path of nn.MultiheadAttention / nn.TransformerEncoder (its fused inference path
is never used), the same computation as layers/multihead_attention.cpp.

The case "bert_tiny" needs Hugging Face transformers (checked with 4.39.3, the last line that
works with Debian's torch 1.13), which Debian does not package. Install it in a virtual
environment that sees the system torch and run that case with it:

  /usr/bin/python3 -m venv --system-site-packages /tmp/hfvenv
  /tmp/hfvenv/bin/pip install 'transformers<4.40'
  /tmp/hfvenv/bin/python tools/make_reference.py bert_tiny

The fixture is committed, so the tests need neither transformers nor PyTorch.
"""

import torch

from reference.common import MissingDependency, case


def _perturb(module, scale=0.1):
    """Moves every parameter off its initial value (zero biases, unit LayerNorm weights), so
    that a parameter the C++ side ignored or misplaced changes the outputs."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(scale * torch.randn_like(parameter))
    return module


def _padding(lengths, total):
    """bool [B, total]: True at the padded positions (index >= length)."""
    return torch.arange(total)[None, :] >= torch.tensor(lengths)[:, None]


class _SelfAttention(torch.nn.MultiheadAttention):
    """Self-attention on one input, so that query, key and value are one tensor (the C++ side
    then takes its packed single-GEMM path)."""

    def forward(self, x, key_padding_mask):
        return super().forward(x, x, x, key_padding_mask=key_padding_mask, need_weights=True)


class _CrossAttention(torch.nn.MultiheadAttention):
    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        return super().forward(query, key, value, key_padding_mask=key_padding_mask,
                               need_weights=True, attn_mask=attn_mask)


class _EncoderLayer(torch.nn.TransformerEncoderLayer):
    def forward(self, src, src_key_padding_mask):
        return super().forward(src, src_key_padding_mask=src_key_padding_mask)


class _Encoder(torch.nn.TransformerEncoder):
    def forward(self, src, src_key_padding_mask):
        return super().forward(src, src_key_padding_mask=src_key_padding_mask)


@case("mha_packed_self_padding")
def mha_packed_self_padding():
    module = _perturb(_SelfAttention(8, 2, batch_first=True))
    inputs = [torch.randn(2, 5, 8), _padding([5, 3], 5)]
    return module, inputs, {"embed_dim": 8, "num_heads": 2, "bias": True}


@case("mha_packed_cross_nobias")
def mha_packed_cross_nobias():
    module = _perturb(_CrossAttention(8, 4, bias=False, batch_first=True))
    inputs = [torch.randn(2, 4, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 8)]
    return module, inputs, {"embed_dim": 8, "num_heads": 4, "bias": False}


@case("mha_packed_bool_mask")
def mha_packed_bool_mask():
    """Cross-attention with a padding mask and a bool [L, S] mask (key j hidden from query i
    when j > i + 2); every query keeps at least one key."""
    module = _perturb(_CrossAttention(8, 2, batch_first=True))
    attn_mask = torch.arange(6)[None, :] > torch.arange(4)[:, None] + 2
    inputs = [torch.randn(2, 4, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 8),
              _padding([6, 4], 6), attn_mask]
    return module, inputs, {"embed_dim": 8, "num_heads": 2, "bias": True}


@case("mha_separate_float_mask")
def mha_separate_float_mask():
    """kdim and vdim differ from embed_dim (q/k/v_proj_weight), with a padding mask and an
    additive float mask per batch and head [B·H, L, S]."""
    module = _perturb(_CrossAttention(8, 2, kdim=6, vdim=10, batch_first=True))
    inputs = [torch.randn(2, 4, 8), torch.randn(2, 5, 6), torch.randn(2, 5, 10),
              _padding([5, 2], 5), torch.randn(4, 4, 5)]
    config = {"embed_dim": 8, "num_heads": 2, "kdim": 6, "vdim": 10, "bias": True}
    return module, inputs, config


def _layer(norm_first, activation):
    return _EncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, activation=activation,
                         batch_first=True, norm_first=norm_first)


@case("transformer_layer_post_relu")
def transformer_layer_post_relu():
    module = _perturb(_layer(False, "relu"))
    inputs = [torch.randn(2, 5, 8), _padding([5, 3], 5)]
    config = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "activation": "relu",
              "norm_first": False}
    return module, inputs, config


@case("transformer_layer_pre_gelu")
def transformer_layer_pre_gelu():
    module = _perturb(_layer(True, "gelu"))
    inputs = [torch.randn(2, 5, 8), _padding([4, 2], 5)]
    config = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "activation": "gelu",
              "norm_first": True}
    return module, inputs, config


@case("transformer_encoder_2_norm")
def transformer_encoder_2_norm():
    """Two post-norm ReLU layers and a final LayerNorm; PyTorch clones the layer, so the
    perturbation also makes the two layers differ."""
    layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    module = _perturb(_Encoder(layer, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False))
    inputs = [torch.randn(2, 5, 8), _padding([5, 3], 5)]
    config = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "num_layers": 2, "norm": True}
    return module, inputs, config


@case("bert_tiny")
def bert_tiny():
    """transformers.BertModel itself: 2 layers, hidden 32, 4 heads, intermediate 64, vocab 100,
    16 positions; batch 2 of length 8, the second sequence padded after 5 tokens, two segments."""
    try:
        import transformers
    except ImportError as error:
        raise MissingDependency("bert_tiny needs transformers: see tools/reference/attention.py") from error
    config = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=64,
                                     max_position_embeddings=16, return_dict=False)
    module = _perturb(transformers.BertModel(config), scale=0.05)
    # A key bias shifts every score of a query row by the same amount, which softmax cancels:
    # its gradient is exactly 0 and both sides compute rounding noise (~1e-8). Frozen here and in
    # the C++ test, so that no gradient is compared (its effect on the outputs still is).
    for layer in module.encoder.layer:
        layer.attention.self.key.bias.requires_grad_(False)
    input_ids = torch.randint(1, 100, (2, 8))
    input_ids[1, 5:] = 0  # padding tokens
    attention_mask = torch.ones(2, 8, dtype=torch.int64)
    attention_mask[1, 5:] = 0
    token_type_ids = torch.zeros(2, 8, dtype=torch.int64)
    token_type_ids[0, 4:] = 1
    token_type_ids[1, 3:5] = 1
    settings = {"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 16,
                "transformers": transformers.__version__}
    return module, [input_ids, attention_mask, token_type_ids], settings

"""Reference case for the text-image classifier (layers/models/text_image_classifier.h).

Like "bert_tiny" (tools/reference/attention.py) it needs Hugging Face transformers for BertModel:

  /tmp/hfvenv/bin/python tools/make_reference.py text_image_classifier
"""

import torch
from torch import nn

from reference.attention import _perturb
from reference.common import MissingDependency, case
from reference.resnet import ConcatFusion, reduced_resnet


class TextImageClassifier(nn.Module):
    """BERT pooled -> Linear(hidden, d); ResNet-50-style image encoder whose fc is Linear(·, d);
    concat head. Registration order = the C++ module's (state_dict key order)."""

    def __init__(self, bert, hidden, width, projection, classes):
        super().__init__()
        self.text_encoder = bert
        self.text_projection = nn.Linear(hidden, projection)
        self.image_encoder = reduced_resnet("bottleneck", [3, 4, 6, 3], width, 3, projection)
        self.fusion_module = ConcatFusion([projection, projection], classes)

    def forward(self, input_ids, attention_mask, image):
        pooled = self.text_encoder(input_ids, attention_mask=attention_mask)[1]
        text = self.text_projection(pooled)
        picture = self.image_encoder(image)
        return (*self.fusion_module(text, picture), text, picture)


@case("text_image_classifier")
def text_image_classifier():
    """Evaluation mode: BERT 2 layers of hidden 32; ResNet-50 layout at stem width 4 on 32×32
    images (a 1×1 layer4 map, where training-mode batch norm of 2 samples is degenerate);
    projections to 8, 3 classes."""
    try:
        import transformers
    except ImportError as error:
        raise MissingDependency("text_image_classifier needs transformers: see "
                         "tools/reference/attention.py") from error
    config = transformers.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=64,
                                     max_position_embeddings=16, return_dict=False)
    bert = _perturb(transformers.BertModel(config), scale=0.05)
    for layer in bert.encoder.layer:  # its gradient is exactly 0: see bert_tiny
        layer.attention.self.key.bias.requires_grad_(False)
    model = TextImageClassifier(bert, 32, width=4, projection=8, classes=3)
    input_ids = torch.randint(1, 100, (2, 8))
    attention_mask = torch.ones(2, 8, dtype=torch.int64)
    attention_mask[1, 6:] = 0
    input_ids[1, 6:] = 0
    image = torch.randn(2, 3, 32, 32)
    settings = {"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 16,
                "width": 4, "projection": 8, "classes": 3,
                "transformers": transformers.__version__}
    return model, [input_ids, attention_mask, image], settings

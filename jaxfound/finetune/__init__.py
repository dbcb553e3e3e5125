"""Adapting a pretrained model: freezing by path, LoRA, heads, padded batches, few-/zero-shot.

Every adaptation is a pure function of parameter pytrees (see ``docs/guide/finetune.md``,
"Adapting a foundation model").
"""

from jaxfound.finetune._fewshot import fit_draws, stack_states, stratified_draws
from jaxfound.finetune._freeze import FROZEN, freeze, layer_decay, layerwise
from jaxfound.finetune._heads import (
    POOLINGS,
    SequenceClassifier,
    classification_loss,
    pool,
    with_backbone,
)
from jaxfound.finetune._lora import Adapters, LoRA, lora
from jaxfound.finetune._pad import TRUNCATION, Encoded, Padded, encode_texts, pad
from jaxfound.finetune._paths import ParamCount, mask, matches, param_count, path_str, paths
from jaxfound.finetune._zeroshot import NORMALIZE, label_logprobs, zero_shot

__all__ = [
    "FROZEN",
    "NORMALIZE",
    "POOLINGS",
    "TRUNCATION",
    "Adapters",
    "Encoded",
    "LoRA",
    "Padded",
    "ParamCount",
    "SequenceClassifier",
    "classification_loss",
    "encode_texts",
    "fit_draws",
    "freeze",
    "label_logprobs",
    "layer_decay",
    "layerwise",
    "lora",
    "mask",
    "matches",
    "param_count",
    "pad",
    "path_str",
    "paths",
    "pool",
    "stack_states",
    "stratified_draws",
    "with_backbone",
    "zero_shot",
]

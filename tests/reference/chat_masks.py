"""transformers' tokens and assistant masks of chat templates, the reference for test_chat_templates'
masks: trains a small byte-level BPE on Debian's fortunes (HF tokenizers) with the templates'
special tokens, saves it as tokenizer.json, and for each case
{"template", "special_tokens": {"bos_token", ...}, "messages"} writes the ids of the whole
rendered dialogue, its assistant mask, and the ids of the generation prompt. Templates with
{% generation %} blocks get transformers' own mask (apply_chat_template's
return_assistant_tokens_mask); for the others each assistant turn is the text that rendering
the dialogue up to it adds to the generation prompt before it (as far as that rendering agrees
with the whole dialogue's: a template may close the last turn differently), mapped to tokens as transformers maps generation blocks
(every token overlapping the turn).

  chat_masks.py CASES.json TOKENIZER_OUT.json OUT.json [TOKENIZER_IN.json]   (the .torch/ Python)

With TOKENIZER_IN (e.g. a SentencePiece-style file of test_tokenizer_sentencepiece), that
tokenizer gets the special tokens instead of a trained one."""
import glob
import json
import os
import sys

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast
from transformers.utils import logging
from transformers.utils.chat_template_utils import render_jinja_template

logging.set_verbosity_error()  # templates without {% generation %} are expected here

SPECIALS = ["<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|start_header_id|>",
            "<|end_header_id|>", "<|eot_id|>", "<start_of_turn>", "<end_of_turn>", "<|system|>",
            "<|user|>", "<|assistant|>", "<|end|>"]

cases = json.load(open(sys.argv[1]))
if len(sys.argv) > 4:
    bpe = Tokenizer.from_file(sys.argv[4])
    bpe.add_special_tokens([AddedToken(token, normalized=False, special=True)
                            for token in SPECIALS])
else:
    texts = []
    for path in sorted(glob.glob("/usr/share/games/fortunes/*.u8"))[:6]:
        texts.append(open(path, encoding="utf-8", errors="replace").read())
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=1500, special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
bpe.save(sys.argv[2])


def render(case, messages, prompt):
    rendered, indices = render_jinja_template(
        [messages], chat_template=case["template"], return_assistant_tokens_mask=True,
        add_generation_prompt=prompt, **case["special_tokens"])
    return rendered[0], indices[0]


def mask_of(encoding, length, spans):
    """transformers' apply_chat_template: every token overlapping a span."""
    mask = [0] * length
    for index, (start, end) in enumerate(encoding["offset_mapping"]):
        if any(end > first and start < last for first, last in spans):
            mask[index] = 1
    return mask


results = []
for case in cases:
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=sys.argv[2], **case["special_tokens"])
    tokenizer.chat_template = case["template"]
    messages = case["messages"]
    text, generation = render(case, messages, False)
    if generation:
        out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True,
                                            return_assistant_tokens_mask=True)
        ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
    else:
        spans = []
        for index, message in enumerate(messages):
            if message["role"] != "assistant":
                continue
            prompt, _ = render(case, messages[:index], True)
            turn, _ = render(case, messages[:index + 1], False)
            assert text.startswith(prompt), case
            agreed = len(os.path.commonprefix([turn, text]))  # Phi-3 ends a last turn with eos
            if agreed > len(prompt):
                spans.append((len(prompt), agreed))
        encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = encoding["input_ids"]
        mask = mask_of(encoding, len(ids), spans)
    prompt_ids = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True,
                                               add_generation_prompt=True)["input_ids"]
    results.append({"text": text, "ids": ids, "mask": mask, "prompt_ids": list(prompt_ids)})
json.dump(results, open(sys.argv[3], "w"), ensure_ascii=False)

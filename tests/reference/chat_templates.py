"""transformers' own chat-template renderer (Python's jinja2, as apply_chat_template compiles it)
as the reference for test_chat_templates: reads a JSON list of cases
[{"name", "template", "context": {"messages", "add_generation_prompt", ...}}] and writes, per
case, the rendered text and the texts of its {% generation %} blocks, or the error it raised.

  chat_templates.py CASES.json OUT.json      (the .torch/ Python, with transformers)"""
import json
import sys

from transformers.utils.chat_template_utils import render_jinja_template

cases = json.load(open(sys.argv[1]))
results = []
for case in cases:
    context = dict(case["context"])
    messages = context.pop("messages")
    add_generation_prompt = context.pop("add_generation_prompt", False)
    tools = context.pop("tools", None)
    try:
        rendered, indices = render_jinja_template(
            [messages], tools=tools, chat_template=case["template"],
            return_assistant_tokens_mask=True, add_generation_prompt=add_generation_prompt,
            **context)
        text = rendered[0]
        results.append({"text": text, "generation": [text[a:b] for a, b in indices[0]]})
    except Exception as error:  # the template's raise_exception, or a jinja2 error
        results.append({"error": str(error)})
json.dump(results, open(sys.argv[2], "w"), ensure_ascii=False)

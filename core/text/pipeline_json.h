// Internal to core/text: the SentencePiece-style parts of tokenizer.json (normalizer, Metaspace,
// decoder chain) to and from our configs, for tokenizer_json.cpp. Anything HF has that these
// configs cannot express exactly is refused with the field and type named.
#pragma once

#include <string>

#include "core/text/decoder.h"
#include "core/text/json_fields.h"
#include "core/text/normalizer.h"
#include "core/text/pretokenizer.h"

namespace rlhf::text::json {

// root["normalizer"]: null, Prepend, Replace with a String pattern, or a Sequence of those.
NormalizerConfig parseNormalizer(const Json& root);
OrderedJson normalizerJson(const NormalizerConfig& config); // null when there are no steps

// A Metaspace pre-tokenizer or decoder object; `field` names it in errors.
MetaspaceConfig parseMetaspace(const Json& object, const std::string& field);
OrderedJson metaspaceJson(const MetaspaceConfig& config);

// root["decoder"]: ByteLevel, or Replace / ByteFallback / Fuse / Strip / Metaspace alone or in
// a Sequence.
DecoderConfig parseDecoder(const Json& root);
OrderedJson decoderJson(const DecoderConfig& config);

} // namespace rlhf::text::json

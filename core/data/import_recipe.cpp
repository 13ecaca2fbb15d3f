// ImportRecipe and ImportReport as JSON: the CLI's recipe files and the dataset's stored report.
#include "core/data/importer.h"

#include "core/util/json_reader.h"

namespace rlhf::data {

namespace {

using nlohmann::json;

TextUnit parseTextUnit(const JsonReader& reader, const std::string& word)
{
    if (word == "line") return TextUnit::Line;
    if (word == "paragraph") return TextUnit::Paragraph;
    if (word == "file") return TextUnit::File;
    reader.fail("unit", "expected line, paragraph or file, got \"" + word + "\"");
}

std::string_view textUnitName(TextUnit unit)
{
    switch (unit) {
    case TextUnit::Line:
        return "line";
    case TextUnit::Paragraph:
        return "paragraph";
    case TextUnit::File:
        return "file";
    }
    return "line";
}

Compression parseCompression(const JsonReader& reader, const std::string& word)
{
    if (word == "auto") return Compression::Auto;
    if (word == "none") return Compression::None;
    if (word == "gzip") return Compression::Gzip;
    if (word == "zstd") return Compression::Zstd;
    reader.fail("compression", "expected auto, none, gzip or zstd, got \"" + word + "\"");
}

std::string_view compressionName(Compression compression)
{
    switch (compression) {
    case Compression::Auto:
        return "auto";
    case Compression::None:
        return "none";
    case Compression::Gzip:
        return "gzip";
    case Compression::Zstd:
        return "zstd";
    }
    return "auto";
}

// Runs `parse` and turns its rlhf::Error into a failure of `key` in `reader`.
template <typename Parse> auto parsed(const JsonReader& reader, const char* key, Parse&& parse)
{
    try {
        return parse();
    } catch (const Error& error) {
        reader.fail(key, error.what());
    }
}

FieldMapping readMapping(const json& root, const JsonReader& reader)
{
    FieldMapping mapping;
    if (!root.contains("mapping")) return mapping;
    const json& object = root["mapping"];
    if (!object.is_object()) reader.fail("mapping", "expected an object of field names");
    for (const auto& [canonical, name] : object.items()) {
        if (!name.is_string()) {
            reader.fail("mapping", "\"" + canonical + "\": expected a field name string");
        }
        mapping[canonical] = name.get<std::string>();
    }
    return mapping;
}

} // namespace

ImportRecipe ImportRecipe::fromJson(std::string_view text)
{
    const json root = withContext("import recipe", [&] {
        json parsed = json::parse(text.begin(), text.end());
        if (!parsed.is_object()) throw Error("expected a JSON object");
        return parsed;
    });
    JsonReader reader(root, "import recipe");
    ImportRecipe recipe;
    reader.require("dataset", recipe.dataset);
    if (recipe.dataset.empty()) reader.fail("dataset", "must not be empty");
    std::vector<std::string> files;
    reader.require("files", files);
    if (files.empty()) reader.fail("files", "must name at least one file");
    recipe.files.assign(files.begin(), files.end());

    std::string format = "auto", compression = "auto", unit = "line", shape = "auto";
    reader.read("format", format);
    reader.read("compression", compression);
    reader.read("unit", unit);
    reader.read("shape", shape);
    recipe.read.format = parsed(reader, "format", [&] { return parseFileFormat(format); });
    recipe.read.compression = parseCompression(reader, compression);
    recipe.read.unit = parseTextUnit(reader, unit);
    recipe.read.shape = parsed(reader, "shape", [&] { return parseRecordShape(shape); });
    reader.child("mapping"); // read by readMapping: checked as an object of strings there
    recipe.read.mapping = readMapping(root, reader);
    size_t maxRowBytes = recipe.read.maxRowBytes;
    reader.read("max_row_bytes", maxRowBytes);
    recipe.read.maxRowBytes = maxRowBytes;
    reader.read("max_quoted_lines", recipe.read.maxQuotedLines);
    if (recipe.read.maxQuotedLines == 0) reader.fail("max_quoted_lines", "must be positive");

    reader.child("cleaning");
    if (root.contains("cleaning")) {
        recipe.cleaning = withContext("import recipe: cleaning", [&] {
            return CleaningConfig::fromJson(root["cleaning"].dump());
        });
    }
    JsonReader split = reader.child("split");
    split.read("val", recipe.split.valFraction);
    split.read("test", recipe.split.testFraction);
    split.read("seed", recipe.split.seed);
    split.rejectUnknown();
    const double held = recipe.split.valFraction + recipe.split.testFraction;
    if (recipe.split.valFraction < 0 || recipe.split.testFraction < 0 || held >= 1) {
        reader.fail("split", "val and test must be >= 0 and leave some training data");
    }
    reader.read("tokenizer", recipe.tokenizer);
    reader.read("batch_documents", recipe.batchDocuments);
    if (recipe.batchDocuments == 0) reader.fail("batch_documents", "must be positive");
    reader.read("force", recipe.force);
    reader.rejectUnknown();
    return recipe;
}

std::string ImportRecipe::toJson() const
{
    json files = json::array();
    for (const auto& file : this->files)
        files.push_back(file.string());
    json root = {
        {"dataset", dataset},
        {"files", files},
        {"format", fileFormatName(read.format)},
        {"compression", compressionName(read.compression)},
        {"unit", textUnitName(read.unit)},
        {"shape", recordShapeName(read.shape)},
        {"mapping", read.mapping},
        {"cleaning", json::parse(cleaning.toJson())},
        {"split", {{"val", split.valFraction}, {"test", split.testFraction}, {"seed", split.seed}}},
    };
    if (read.maxRowBytes != ReadOptions{}.maxRowBytes) root["max_row_bytes"] = read.maxRowBytes;
    if (read.maxQuotedLines != ReadOptions{}.maxQuotedLines)
        root["max_quoted_lines"] = read.maxQuotedLines;
    if (!tokenizer.empty()) root["tokenizer"] = tokenizer;
    if (batchDocuments != ImportRecipe{}.batchDocuments) root["batch_documents"] = batchDocuments;
    if (force) root["force"] = true;
    return root.dump(2);
}

std::string ImportReport::toJson() const
{
    json steps = json::array();
    for (const StepReport& step : this->steps) {
        steps.push_back({{"step", step.step},
                         {"examined", step.examined},
                         {"changed", step.changed},
                         {"removed", step.removed}});
    }
    json languages = json::array();
    for (const auto& [code, count] : this->languages)
        languages.push_back({code, count});
    return json{{"dataset", dataset},
                {"kind", recordKindName(kind)},
                {"records", records},
                {"read_problems", readProblems},
                {"imported", imported},
                {"quarantined", quarantined},
                {"split", {{"train", train}, {"val", val}, {"test", test}}},
                {"steps", steps},
                {"languages", languages},
                {"languages_sampled", languagesSampled},
                {"bytes", bytes},
                {"seconds", seconds},
                {"index_bytes", indexBytes},
                {"existing", existing},
                {"cancelled", cancelled}}
        .dump();
}

} // namespace rlhf::data

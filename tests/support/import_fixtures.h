// Fixture files for the import UI tests, written into a temporary folder: a ShareGPT JSONL file
// with exact duplicates, a too-short dialogue and a malformed line, and a CSV whose text column
// is not called "text". Each function returns what a correct import must find.
#pragma once

#include <QDir>
#include <QString>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace fixtures {

struct ShareGptFile {
    QString path;
    int uniqueDialogues = 0;   // distinct, long enough dialogues
    int duplicates = 0;        // exact copies of earlier lines
    int64_t malformedLine = 0; // 1-based line of the truncated JSON
    int64_t shortLine = 0;     // 1-based line of the dialogue a 20-character minimum removes
    std::vector<int64_t> duplicateLines;
};

inline std::string shareGptLine(int i)
{
    return R"({"conversations": [{"from": "system", "value": "You are a patient tutor."}, )"
           R"({"from": "human", "value": "Question )" +
           std::to_string(i) + R"(: how does a river number )" + std::to_string(i * 7) +
           R"( carve its valley?"}, {"from": "gpt", "value": "Answer )" + std::to_string(i) +
           R"(: water erodes the bed by abrasion, and in )" + std::to_string(i * 3) +
           R"( thousand years the valley deepens."}]})";
}

// chats.jsonl: 30 dialogues; line 12 is truncated JSON; line 20 is "hi" / "yo"; the last three
// lines repeat dialogues 2, 5 and 9 exactly.
inline ShareGptFile writeShareGpt(const QDir& folder)
{
    ShareGptFile file;
    file.path = folder.filePath(QStringLiteral("chats.jsonl"));
    std::ofstream out(file.path.toStdString(), std::ios::binary);
    std::vector<std::string> lines;
    for (int i = 0; i < 30; ++i)
        lines.push_back(shareGptLine(i));
    lines.insert(lines.begin() + 11,
                 R"({"conversations": [{"from": "human", "value": "BROKENROW unterminated)");
    file.malformedLine = 12;
    lines.insert(lines.begin() + 19, R"({"conversations": [{"from": "human", "value": "hi"}, )"
                                     R"({"from": "gpt", "value": "yo"}]})");
    file.shortLine = 20;
    for (int i : {2, 5, 9}) {
        lines.push_back(shareGptLine(i));
        file.duplicateLines.push_back(int64_t(lines.size()));
    }
    for (const auto& line : lines)
        out << line << '\n';
    file.uniqueDialogues = 30;
    file.duplicates = 3;
    return file;
}

// big.jsonl: `count` distinct ShareGPT dialogues (about 330 bytes each), for cancelling.
inline QString writeBigShareGpt(const QDir& folder, int count)
{
    const QString path = folder.filePath(QStringLiteral("big.jsonl"));
    std::ofstream out(path.toStdString(), std::ios::binary);
    for (int i = 0; i < count; ++i)
        out << shareGptLine(i) << '\n';
    return path;
}

// notes.csv: header "id,body", 6 rows (one body with an embedded, quoted newline).
inline QString writeCsv(const QDir& folder)
{
    const QString path = folder.filePath(QStringLiteral("notes.csv"));
    std::ofstream out(path.toStdString(), std::ios::binary);
    out << "id,body\n"
           "1,The first note is about rivers and their valleys.\n"
           "2,\"A quoted note, with a comma\nand a second line.\"\n"
           "3,Glaciers carve U-shaped valleys over many thousands of years.\n"
           "4,Deltas form where a river meets the sea and drops its sediment.\n"
           "5,Meanders migrate across a floodplain as the outer bank erodes.\n"
           "6,Oxbow lakes are meanders cut off from the main channel.\n";
    return path;
}

} // namespace fixtures

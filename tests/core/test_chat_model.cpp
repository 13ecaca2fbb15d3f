// ChatModel on tiny checkpoints (tests/support/tiny_chat_checkpoint.h): streamed pieces add up
// to the returned reply (partial UTF-8 of an untrained model included), a taught model answers
// its reply greedily and by beam search, seeds repeat, a stream that returns false stops the
// reply, dialogues too long for the context lose whole turns from the front (the reply equals
// the reply to what is left), replies() gives a batch, and missing files are named.
#include "core/chat/chat_model.h"

#include "tests/support/error_of.h"
#include "tests/support/tiny_chat_checkpoint.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

using namespace rlhf;
using chat::ChatModel;
using gen::SamplingSettings;

namespace {

const std::string taughtReply = "hello there";

SamplingSettings greedy(int64_t maxNewTokens)
{
    SamplingSettings settings;
    settings.temperature = 0.0f;
    settings.repetitionPenalty = 1.0f;
    settings.maxNewTokens = maxNewTokens;
    return settings;
}

SamplingSettings sampling(uint64_t seed, int64_t maxNewTokens)
{
    SamplingSettings settings;
    settings.temperature = 1.0f;
    settings.topK = 0;
    settings.topP = 1.0f;
    settings.maxNewTokens = maxNewTokens;
    settings.seed = seed;
    return settings;
}

std::vector<data::Message> ask(const std::string& text)
{
    return {{"user", text}};
}

} // namespace

class TestChatModel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::filesystem::path m_babbler, m_taught; // untrained (wide init); taught to say taughtReply

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const std::filesystem::path root = m_dir.path().toStdString();
        m_babbler = root / "babbler";
        m_taught = root / "taught";
        test_support::writeTinyChatCheckpoint(m_babbler, {.seed = 7, .initStd = 0.5});
        test_support::writeTinyChatCheckpoint(m_taught, {.seed = 3, .reply = taughtReply});
    }

    void streamedPiecesAddUpToTheReply()
    {
        ChatModel model(m_babbler);
        QCOMPARE(model.checkpoint(), m_babbler);
        for (uint64_t seed = 1; seed <= 4; ++seed) {
            std::vector<std::string> pieces;
            const std::string reply = model.reply(ask("hi"), sampling(seed, 40), [&](auto& piece) {
                pieces.push_back(piece);
                return true;
            });
            std::string joined;
            for (const auto& piece : pieces) {
                QVERIFY(!piece.empty());
                joined += piece;
            }
            QCOMPARE(joined, reply);
            QVERIFY(pieces.size() > 1); // streamed, not handed over whole
        }
    }

    void taughtModelAnswersItsReplyGreedily()
    {
        ChatModel model(m_taught);
        std::vector<std::string> pieces;
        const std::string reply = model.reply(ask("What is 2 + 3?"), greedy(30), [&](auto& piece) {
            pieces.push_back(piece);
            return true;
        });
        QCOMPARE(reply, taughtReply); // ended by <|end|>, which is not part of the text
        QCOMPARE(pieces.size(), taughtReply.size()); // one byte token, one piece
        QCOMPARE(model.reply(ask("What is 2 + 3?"), greedy(30)), reply); // deterministic
        // Beam search finds the same answer, handed over as one piece.
        SamplingSettings beams = greedy(30);
        beams.beams = 3;
        pieces.clear();
        QCOMPARE(model.reply(ask("hi"), beams,
                             [&](auto& piece) {
                                 pieces.push_back(piece);
                                 return true;
                             }),
                 taughtReply);
        QCOMPARE(pieces, std::vector<std::string>{taughtReply});
    }

    void sameSeedRepeatsOtherSeedDiffers()
    {
        ChatModel model(m_babbler);
        const std::string first = model.reply(ask("hi"), sampling(11, 30));
        QCOMPARE(model.reply(ask("hi"), sampling(11, 30)), first);
        QVERIFY(model.reply(ask("hi"), sampling(12, 30)) != first);
        const std::string greedyReply = model.reply(ask("hi"), greedy(30));
        QCOMPARE(model.reply(ask("hi"), greedy(30)), greedyReply);
    }

    void returningFalseStops()
    {
        ChatModel model(m_taught);
        std::string joined;
        int calls = 0;
        const std::string reply = model.reply(ask("hi"), greedy(30), [&](auto& piece) {
            joined += piece;
            return ++calls < 3;
        });
        QCOMPARE(calls, 3);
        QCOMPARE(reply, taughtReply.substr(0, 3));
        QCOMPARE(joined, reply);
    }

    void longDialoguesLoseWholeTurnsFromTheFront()
    {
        // Context 64, 16 new tokens: 48 for the prompt. Byte tokens, so a turn of n characters
        // is n + 2 tokens; the prompt adds <|bos|> and the closing <|assistant|>.
        ChatModel model(m_babbler);
        const std::string twenty(20, 'a');
        const std::vector<data::Message> last = {{"user", "hi"}}; // 1 + 4 + 1 = 6 tokens
        const std::string alone = model.reply(last, greedy(16));
        // 94 tokens; without the first exchange 50 (> 48), without the second 6.
        const std::vector<data::Message> dialogue = {{"user", twenty},
                                                     {"assistant", twenty},
                                                     {"user", twenty},
                                                     {"assistant", twenty},
                                                     {"user", "hi"}};
        QCOMPARE(model.reply(dialogue, greedy(16)), alone);
        // The model listens to what comes before the last turn: an exchange that fits (30
        // tokens) changes the reply, so the cut above really left only the last turn.
        const std::string ten(10, 'a');
        QVERIFY(model.reply({{"user", ten}, {"assistant", ten}, {"user", "hi"}}, greedy(16)) !=
                alone);
        // A leading system message stays while anything else can go.
        const std::vector<data::Message> withSystem = {
            {"system", "S"}, {"user", twenty}, {"assistant", twenty}, {"user", "hi"}};
        QCOMPARE(model.reply(withSystem, greedy(16)),
                 model.reply({{"system", "S"}, {"user", "hi"}}, greedy(16)));
        QVERIFY(model.reply({{"system", "S"}, {"user", "hi"}}, greedy(16)) != alone);
        // A single turn longer than the context is cut, not rejected.
        const std::string reply = model.reply(ask(std::string(200, 'z')), greedy(16));
        QVERIFY(!reply.empty());
        QVERIFY(reply.size() <= 16 * 3); // 16 tokens of at most one replacement character
    }

    void repliesGivesOneBatchOfCount()
    {
        ChatModel model(m_babbler);
        const auto replies = model.replies(ask("hi"), 2, sampling(5, 20));
        QCOMPARE(replies.size(), size_t(2));
        QVERIFY(!replies[0].empty() && !replies[1].empty());
        QVERIFY(replies[0] != replies[1]);
        QCOMPARE(model.replies(ask("hi"), 2, sampling(5, 20)), replies); // seeded batch
        ChatModel taught(m_taught);
        QCOMPARE(taught.replies(ask("hi"), 3, greedy(30)),
                 std::vector<std::string>(3, taughtReply));
    }

    void missingFilesAreNamed()
    {
        const std::filesystem::path missing = m_dir.filePath("nowhere").toStdString();
        QString error = testing::errorOf([&] { ChatModel model(missing); });
        QVERIFY2(error.contains("nowhere") && error.contains("config.json"), qPrintable(error));

        const std::filesystem::path noTokenizer = m_dir.filePath("no-tokenizer").toStdString();
        std::filesystem::create_directories(noTokenizer);
        for (const char* file : {"config.json", "model.safetensors"})
            std::filesystem::copy_file(m_taught / file, noTokenizer / file);
        error = testing::errorOf([&] { ChatModel model(noTokenizer); });
        QVERIFY2(error.contains("no-tokenizer") && error.contains("tokenizer.json"),
                 qPrintable(error));
    }

    void settingsAsJson()
    {
        SamplingSettings settings;
        settings.temperature = 0.5f;
        settings.beams = 4;
        settings.seed = 99;
        const auto json = gen::toJson(settings);
        QCOMPARE(json.at("temperature").get<double>(), 0.5);
        QCOMPARE(json.at("top_k").get<int64_t>(), int64_t(40));
        QCOMPARE(json.at("max_new_tokens").get<int64_t>(), int64_t(128));
        QCOMPARE(json.at("beams").get<int64_t>(), int64_t(4));
        QCOMPARE(json.at("seed").get<uint64_t>(), uint64_t(99));
        QCOMPARE(json.size(), size_t(8));
    }
};

QTEST_APPLESS_MAIN(TestChatModel)
#include "test_chat_model.moc"

// Database: the sampled responses of PPO / GRPO steps, stored a step at a time so a resumed
// run's repeated steps replace what the first attempt wrote. The per-token KL travels as a
// little-endian float32 blob (see schema version 4 in schema.cpp).
#include "core/store/database.h"

#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <bit>
#include <cstddef>
#include <cstdint>

namespace rlhf::store {

namespace {

constexpr size_t bytesPerToken = 4; // one float32

// Explicit byte order, so a file written on one machine reads the same on any other.
std::vector<std::byte> encodeTokenKl(const std::vector<double>& tokenKl)
{
    std::vector<std::byte> bytes;
    bytes.reserve(tokenKl.size() * bytesPerToken);
    for (const double value : tokenKl) {
        const auto bits = std::bit_cast<uint32_t>(static_cast<float>(value));
        for (size_t shift = 0; shift < 32; shift += 8)
            bytes.push_back(static_cast<std::byte>((bits >> shift) & 0xffu));
    }
    return bytes;
}

std::vector<double> decodeTokenKl(std::span<const std::byte> bytes)
{
    if (bytes.size() % bytesPerToken != 0) {
        throw Error("token_kl holds " + std::to_string(bytes.size()) +
                    " bytes, not a whole number of float32 values");
    }
    std::vector<double> tokenKl;
    tokenKl.reserve(bytes.size() / bytesPerToken);
    for (size_t at = 0; at < bytes.size(); at += bytesPerToken) {
        uint32_t bits = 0;
        for (size_t i = 0; i < bytesPerToken; ++i)
            bits |= static_cast<uint32_t>(bytes[at + i]) << (8 * i);
        tokenKl.push_back(std::bit_cast<float>(bits));
    }
    return tokenKl;
}

Rollout readRollout(const Statement& row)
{
    Rollout rollout;
    rollout.step = row.columnInt64(0);
    rollout.index = row.columnInt64(1);
    rollout.prompt = row.columnText(2);
    rollout.response = row.columnText(3);
    rollout.score = row.columnDouble(4);
    rollout.reward = row.columnDouble(5);
    rollout.kl = row.columnDouble(6);
    rollout.trueScore = row.columnOptionalDouble(7);
    rollout.tokenKl = decodeTokenKl(row.columnBlob(8));
    return rollout;
}

} // namespace

void Database::addRollouts(Id run, int64_t step, std::span<const Rollout> rollouts)
{
    const std::string action =
        "storing rollouts of run " + std::to_string(run) + " at step " + std::to_string(step);
    withContext(context(action), [&] {
        Transaction transaction(handle());
        Statement clear(handle(), "DELETE FROM rollouts WHERE run = ? AND step = ?");
        clear.bindAll(run, step);
        clear.run();
        Statement insert(handle(), "INSERT INTO rollouts (run, step, idx, prompt, response, score, "
                                   "reward, kl, true_score, token_kl) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        // The rows belong to `step`; a rollout's own step field is not trusted over it.
        for (const Rollout& rollout : rollouts) {
            insert.bindAll(run, step, rollout.index, rollout.prompt, rollout.response,
                           rollout.score, rollout.reward, rollout.kl, rollout.trueScore);
            const std::vector<std::byte> tokenKl = encodeTokenKl(rollout.tokenKl);
            insert.bindBlob(10, tokenKl);
            insert.run();
        }
        transaction.commit();
    });
}

std::vector<Rollout> Database::rollouts(Id run, int64_t step) const
{
    const std::string action =
        "reading rollouts of run " + std::to_string(run) + " at step " + std::to_string(step);
    return withContext(context(action), [&] {
        Statement query(handle(), "SELECT step, idx, prompt, response, score, reward, kl, "
                                  "true_score, token_kl FROM rollouts "
                                  "WHERE run = ? AND step = ? ORDER BY idx");
        query.bindAll(run, step);
        std::vector<Rollout> result;
        while (query.step())
            result.push_back(readRollout(query));
        return result;
    });
}

std::vector<int64_t> Database::rolloutSteps(Id run) const
{
    return withContext(context("listing rollout steps of run " + std::to_string(run)), [&] {
        Statement query(handle(), "SELECT DISTINCT step FROM rollouts WHERE run = ? ORDER BY step");
        query.bindAll(run);
        std::vector<int64_t> result;
        while (query.step())
            result.push_back(query.columnInt64(0));
        return result;
    });
}

} // namespace rlhf::store

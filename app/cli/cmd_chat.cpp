// `rlhf chat`: the studio's single-model chat in a terminal. A multi-turn conversation with one
// checkpoint through the chat template: each --say is a user turn (scripted), else each line of
// standard input is one (interactive; an empty line or end of input ends the conversation).
// Replies stream as they are generated; --json prints the whole conversation at the end. The
// compute setup it decodes with (--precision) goes to standard error, so it is never silent.
#include "app/cli/commands.h"

#include "core/chat/chat_model.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace rlhf::cli {

void addChatCommand(CLI::App& app)
{
    struct Arguments {
        std::string checkpoint;
        std::vector<std::string> turns;
        gen::SamplingSettings settings;
        std::string precision = "auto";
        std::string device = "auto";
        bool json = false;
    };
    auto arguments = std::make_shared<Arguments>();
    auto& settings = arguments->settings;
    auto* command = app.add_subcommand("chat", "Talk to a checkpoint through the chat template");
    command->add_option("-c,--checkpoint", arguments->checkpoint, "Checkpoint folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    command->add_option("--say", arguments->turns, "A user turn (repeatable); else stdin lines");
    command->add_option("--max-new-tokens", settings.maxNewTokens, "Reply tokens at most")
        ->capture_default_str();
    command->add_option("--temperature", settings.temperature, "0 = greedy")->capture_default_str();
    command->add_option("--top-k", settings.topK, "0 = off")->capture_default_str();
    command->add_option("--top-p", settings.topP, "1 = off")->capture_default_str();
    command->add_option("--repetition-penalty", settings.repetitionPenalty, "1 = off")
        ->capture_default_str();
    command->add_option("--beams", settings.beams, "Beam search with this many beams")
        ->capture_default_str();
    command->add_option("--length-penalty", settings.lengthPenalty, "Beam length penalty")
        ->capture_default_str();
    command->add_option("--seed", settings.seed, "Sampling seed")->capture_default_str();
    command->add_option("--precision", arguments->precision, precisionHelp)->capture_default_str();
    command->add_option("--device", arguments->device, deviceHelp)->capture_default_str();
    command->add_flag("--json", arguments->json, "Print the conversation as JSON at the end");
    command->callback([=] {
        const gen::DecodeSetup setup = decodeSetup(arguments->device, arguments->precision);
        chat::ChatModel model(arguments->checkpoint, {}, setup);
        std::cerr << "decoding on " << gen::decodingDescription(setup) << std::endl;
        std::vector<data::Message> dialogue;
        size_t scripted = 0;
        auto nextTurn = [&](std::string& turn) {
            if (!arguments->turns.empty()) {
                if (scripted == arguments->turns.size()) return false;
                turn = arguments->turns[scripted++];
                std::cout << "you> " << turn << "\n";
                return true;
            }
            std::cout << "you> " << std::flush;
            return std::getline(std::cin, turn) && !turn.empty();
        };
        std::string turn;
        while (nextTurn(turn)) {
            dialogue.push_back({"user", turn});
            std::cout << "model> " << std::flush;
            const auto reply =
                model.reply(dialogue, arguments->settings, [](const std::string& piece) {
                    std::cout << piece << std::flush;
                    return true;
                });
            if (arguments->settings.beams > 1) std::cout << reply; // beam search does not stream
            std::cout << std::endl;
            dialogue.push_back({"assistant", reply});
        }
        if (arguments->json) {
            auto messages = nlohmann::json::array();
            for (const auto& message : dialogue)
                messages.push_back({{"role", message.role}, {"content", message.content}});
            std::cout << nlohmann::json{{"checkpoint", arguments->checkpoint},
                                        {"settings", gen::toJson(arguments->settings)},
                                        {"messages", messages}}
                             .dump()
                      << std::endl;
        }
    });
}

} // namespace rlhf::cli

// `rlhf arena leaderboard`: the chat arena's battles as a table of Bradley-Terry ratings with
// bootstrap 95% intervals, online Elo and win/loss/tie counts (core/eval/ratings.h), or as JSON.
#include "app/cli/commands.h"

#include "core/eval/ratings.h"
#include "core/store/project.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

namespace rlhf::cli {

namespace {

struct LeaderboardArguments {
    std::string project;
    bool json = false;
    eval::LeaderboardOptions options;
};

nlohmann::json leaderboardJson(const std::vector<eval::LeaderboardRow>& rows, size_t battles,
                               const eval::LeaderboardOptions& options)
{
    nlohmann::json models = nlohmann::json::array();
    for (const auto& row : rows)
        models.push_back({{"model", row.model},
                          {"rating", row.rating},
                          {"low", row.low},
                          {"high", row.high},
                          {"elo", row.elo},
                          {"battles", row.battles},
                          {"wins", row.wins},
                          {"losses", row.losses},
                          {"ties", row.ties}});
    return {{"battles", battles},
            {"rounds", options.bootstrapRounds},
            {"seed", options.seed},
            {"models", models}};
}

// model   rating   95% interval       Elo  battles  W/L/T
void printTable(const std::vector<eval::LeaderboardRow>& rows, size_t battles,
                const eval::LeaderboardOptions& options)
{
    int width = 5;
    for (const auto& row : rows)
        width = std::max(width, int(row.model.size()));
    std::printf("%zu battles, %d bootstrap rounds (seed %llu)\n", battles, options.bootstrapRounds,
                static_cast<unsigned long long>(options.seed));
    std::printf("%-*s  %7s  %-18s  %7s  %7s  %s\n", width, "model", "rating", "95% interval", "Elo",
                "battles", "W/L/T");
    for (const auto& row : rows) {
        char interval[64];
        std::snprintf(interval, sizeof interval, "[%.1f, %.1f]", row.low, row.high);
        std::printf("%-*s  %7.1f  %-18s  %7.1f  %7lld  %lld/%lld/%lld\n", width, row.model.c_str(),
                    row.rating, interval, row.elo, static_cast<long long>(row.battles),
                    static_cast<long long>(row.wins), static_cast<long long>(row.losses),
                    static_cast<long long>(row.ties));
    }
    std::fflush(stdout);
}

} // namespace

void addArenaCommands(CLI::App& app)
{
    auto* arena = app.add_subcommand("arena", "The chat arena's battles and their ratings");
    arena->require_subcommand(1);

    auto arguments = std::make_shared<LeaderboardArguments>();
    auto* table = arena->add_subcommand(
        "leaderboard", "Bradley-Terry ratings with bootstrap 95% intervals, Elo and W/L/T");
    table->add_option("-p,--project", arguments->project, "Project folder")->required();
    table->add_flag("--json", arguments->json, "One JSON object instead of the table");
    table
        ->add_option("--rounds", arguments->options.bootstrapRounds,
                     "Bootstrap resamples of the battles (0: no intervals)")
        ->check(CLI::Range(0, 1000000))
        ->capture_default_str();
    table
        ->add_option("--seed", arguments->options.seed,
                     "Seeds the bootstrap: same seed, same table")
        ->capture_default_str();
    table->callback([=] {
        const store::Project project = store::Project::open(arguments->project);
        const auto battles = project.database().battles();
        const auto rows = eval::leaderboard(eval::matchesOf(battles), arguments->options);
        if (arguments->json)
            std::cout << leaderboardJson(rows, battles.size(), arguments->options).dump(2)
                      << std::endl;
        else
            printTable(rows, battles.size(), arguments->options);
    });
}

} // namespace rlhf::cli

// `rlhf labels agreement`: how far the annotators agree on the stored labels, as Cohen's kappa
// for every pair of annotators and Fleiss' kappa over everyone (core/eval/agreement.h).
#include "app/cli/commands.h"

#include "core/eval/agreement.h"
#include "core/store/project.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace rlhf::cli {

namespace {

struct AgreementArguments {
    std::string project;
    bool json = false;
};

// An undefined kappa (no items, or everyone always gave one judgment) is null, never 0.
nlohmann::json kappaJson(const std::optional<double>& kappa)
{
    return kappa ? nlohmann::json(*kappa) : nlohmann::json(nullptr);
}

std::string kappaText(const std::optional<double>& kappa)
{
    if (!kappa) return "undefined";
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", *kappa);
    return text;
}

} // namespace

void addLabelAgreement(CLI::App& labels)
{
    auto arguments = std::make_shared<AgreementArguments>();
    auto* agreement = labels.add_subcommand(
        "agreement", "Cohen's kappa per annotator pair and Fleiss' kappa over all annotators");
    agreement->add_option("-p,--project", arguments->project, "Project folder")->required();
    agreement->add_flag("--json", arguments->json, "One JSON object instead of the text");
    agreement->callback([=] {
        const store::Project project = store::Project::open(arguments->project);
        const auto labels = project.database().labels();
        const auto report = eval::agreementOf(labels);
        if (arguments->json) {
            nlohmann::json pairs = nlohmann::json::array();
            for (const auto& pair : report.pairs)
                pairs.push_back({{"first", pair.first},
                                 {"second", pair.second},
                                 {"items", pair.items},
                                 {"kappa", kappaJson(pair.kappa)}});
            std::cout << nlohmann::json{{"labels", labels.size()},
                                        {"shared_items", report.sharedItems},
                                        {"fleiss", kappaJson(report.fleiss)},
                                        {"pairs", pairs}}
                             .dump(2)
                      << std::endl;
            return;
        }
        std::cout << labels.size() << " labels, " << report.sharedItems
                  << " items labelled by 2 or more annotators\n";
        size_t width = 5;
        for (const auto& pair : report.pairs)
            width = std::max(width, pair.first.size() + pair.second.size() + 3);
        for (const auto& pair : report.pairs) {
            const std::string names = pair.first + " / " + pair.second;
            std::cout << names << std::string(width - names.size(), ' ') << "  Cohen's kappa "
                      << kappaText(pair.kappa) << " over " << pair.items << " items\n";
        }
        std::cout << "Fleiss' kappa (all annotators): " << kappaText(report.fleiss) << std::endl;
    });
}

} // namespace rlhf::cli

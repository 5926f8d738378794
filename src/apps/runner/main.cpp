// solar-hf-runner entry point: command line, logging, then the app with the torch-backed
// model loader (the only place solar_runner_torch is reached).
#include <solar/core/logging.hpp>
#include <solar/runner/causal_model.hpp>
#include <solar/runner/decoder_model.hpp>
#include <solar/runner/encoder_model.hpp>
#include <solar/runner/model_adapters.hpp>
#include <solar/runner/runner_app.hpp>
#include <solar/runner/runner_config.hpp>
#include <solar/runner/tokenizer.hpp>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace {

using namespace solar::runner;

// --task causal: the decoder, its generation settings and chat template.
loaded_model load_decoder(
    const std::filesystem::path& dir, const model_load_options& options, tokenizer tok
) {
    auto model = decoder_model::load(dir, options);
    if (!model) throw std::runtime_error(model.error());
    const auto& d = (*model)->description();
    loaded_model out;
    out.causal = read_causal_settings(dir, d.config);
    solar::core::component_logger("runner")->info(
        "loaded {} ({} parameters, {} layers, vocabulary {}, {} on {}); chat template: {}",
        d.config.architecture,
        d.parameter_count,
        d.config.num_hidden_layers,
        d.config.vocab_size,
        d.dtype,
        d.device,
        out.causal.chat ? "yes" : "none (chat requests get 400)"
    );
    out.tokenizer = std::make_unique<hf_text_tokenizer>(std::move(tok));
    out.decoder = std::move(*model);
    return out;
}

loaded_model load_model(const std::filesystem::path& dir, const runner_config& config) {
    auto tok = tokenizer::load(dir / "tokenizer.json");
    if (!tok) throw std::runtime_error("tokenizer.json: " + tok.error().message);
    model_load_options options;
    options.device = config.device;
    options.dtype = config.dtype;
    options.threads = config.threads;
    if (config.task == runner_task::causal) return load_decoder(dir, options, std::move(*tok));
    auto model = encoder_model::load(dir, options);
    if (!model) throw std::runtime_error(model.error());
    const auto& d = (*model)->description();
    if (config.task == runner_task::classification && !d.has_classifier) {
        throw std::runtime_error(
            d.architecture + " has no classification head; use --task embedding"
        );
    }
    solar::core::component_logger("runner")->info(
        "loaded {} ({} parameters, hidden size {}, {} on {}, {} torch threads)",
        d.architecture,
        d.parameter_count,
        d.hidden_size,
        d.dtype,
        d.device,
        d.threads
    );
    loaded_model out;
    out.tokenizer = std::make_unique<hf_text_tokenizer>(std::move(*tok));
    out.backend = std::make_unique<encoder_backend>(std::move(*model), config);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    auto outcome = parse_runner_config(argc, argv);
    if (!outcome.config) {
        (outcome.exit_code == 0 ? std::cout : std::cerr) << outcome.message << std::endl;
        return outcome.exit_code;
    }
    const auto& config = *outcome.config;
    solar::core::init_logging(config.log_level);
    solar::runner::runner_app app{config, load_model, [](const std::string& name) {
                                      const char* value = std::getenv(name.c_str());
                                      return value ? std::optional<std::string>(value)
                                                   : std::nullopt;
                                  }};
    try {
        app.listen();
    } catch (const std::exception& e) {
        std::cerr << "main: couldn't bind HTTP server socket, hostname: " << config.host
                  << ", port: " << config.port << ": " << e.what() << std::endl;
        return 1;
    }
    return app.run();
}

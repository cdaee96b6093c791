#include "checkers/model.h"

namespace simbus::checkers {

std::unique_ptr<Model> make_model(std::string_view name, const Value* initial) {
  if (name == "register") return make_register_model(initial ? *initial : Value{});
  if (name == "cas-register") return make_register_model(initial ? *initial : Value{std::int64_t{0}});
  if (name == "kv") return make_kv_model();
  if (name == "mutex") return make_mutex_model();
  if (name == "multi-register") {
    return make_multi_register_model(initial ? *initial : Value{std::int64_t{0}});
  }
  if (name == "channel" || name == "channel-log" || name == "channel-info" || name == "presence") {
    return make_channel_model();
  }
  return nullptr;
}

std::string model_names() {
  return "register, cas-register, kv, mutex, multi-register, channel (= channel-log, "
         "channel-info, presence)";
}

}  // namespace simbus::checkers

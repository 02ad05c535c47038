// The empty baked table for images without FILES: a weak definition that the generated source
// of unikit_app(... FILES dir) replaces. It has a translation unit of its own so that no code
// that reads the table can see (and constant-fold) this initializer.
#include <unikit/kv.h>

namespace unikit::kv::detail {
extern const BakedTable g_baked_table __attribute__((weak)) = {nullptr, 0};
}  // namespace unikit::kv::detail

#include "core/model/kv_cache.h"

#include <ATen/ATen.h>

namespace rlhf::model {

void KvCache::selectRows(const at::Tensor& rows)
{
    for (auto& key : keys)
        if (key.defined()) key = key.index_select(0, rows);
    for (auto& value : values)
        if (value.defined()) value = value.index_select(0, rows);
    if (keyValid.defined()) keyValid = keyValid.index_select(0, rows);
}

void KvCache::clear()
{
    keys.clear();
    values.clear();
    keyValid = at::Tensor();
}

} // namespace rlhf::model

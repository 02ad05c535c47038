#include "platforms/virtio/devices/interrupts.h"

#include "platforms/virtio/devices/util.h"

namespace unikit::virtio {

namespace {

struct Handler {
    IrqHandler fn;
    void* ctx;
    Handler* next;
};
struct Line {
    unsigned gsi;
    Handler* handlers;
    Line* next;
};
Line* g_lines = nullptr;

void dispatch(void* ctx) {
    for (Handler* h = static_cast<Line*>(ctx)->handlers; h; h = h->next) h->fn(h->ctx);
}

}  // namespace

void share_gsi(unsigned gsi, bool level, bool active_low, IrqHandler ack, void* ctx, const char* what) {
    Line* line = g_lines;
    while (line && line->gsi != gsi) line = line->next;
    auto* h = static_cast<Handler*>(dma_alloc(sizeof(Handler), alignof(Handler)));
    h->fn = ack;
    h->ctx = ctx;
    if (line) {
        h->next = line->handlers;
        line->handlers = h;  // the line is live: the handler is complete before it is linked
        return;
    }
    line = static_cast<Line*>(dma_alloc(sizeof(Line), alignof(Line)));
    line->gsi = gsi;
    h->next = nullptr;
    line->handlers = h;
    line->next = g_lines;
    g_lines = line;
    if (!irq_attach_gsi(gsi, level, active_low, dispatch, line)) {
        Msg m;
        m << what << ": cannot attach interrupt line (GSI " << gsi << ")";
        m.panic();
    }
}

}  // namespace unikit::virtio

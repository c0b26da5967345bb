package cn.complaints.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One bill of a batch check, with the offsets to judge on it (none: only the bill's facts and warnings). */
public record BillCheckRequest(String billId, List<OffsetLine> offsets) {
    public BillCheckRequest {
        if (billId == null || billId.isEmpty()) throw new IllegalArgumentException("billId is required");
        offsets = offsets == null ? List.of() : List.copyOf(offsets);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("billId", billId);
        m.put("offsets", offsets.stream().map(OffsetLine::toJson).toList());
        return m;
    }
}

package cn.complaints.client;

import java.util.LinkedHashMap;
import java.util.Map;

/** One offset a cashier wants to use on a bill, in fen (分). */
public record OffsetLine(long offsetId, long amountFen) {
    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("offsetId", offsetId);
        m.put("amountFen", amountFen);
        return m;
    }
}

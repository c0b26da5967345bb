package cn.complaints.client;

import java.util.LinkedHashMap;
import java.util.Map;

/** Who at the ERP did it (the cashier), for the plugin's audit trail. {@code name} may be null. */
public record Operator(String id, String name) {
    public Operator {
        if (id == null || id.isEmpty() || id.length() > 64) throw new IllegalArgumentException("operator id must be 1 to 64 characters");
        if (name != null && (name.isEmpty() || name.length() > 100)) throw new IllegalArgumentException("operator name must be 1 to 100 characters");
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        if (name != null) m.put("name", name);
        return m;
    }
}

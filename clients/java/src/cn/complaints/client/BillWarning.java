package cn.complaints.client;

import java.util.Map;

/** An open complaint or a fee-withholding threat on the bill's unit: shown to the cashier, never a refusal. */
public record BillWarning(String code, long complaintId, String complaintCode, String complaintState, String messageZh, String messageEn) {
    static BillWarning from(Object json) {
        Map<String, Object> m = Read.asObj(json);
        return new BillWarning(
                Read.str(m, "code"),
                Read.num(m, "complaintId"),
                Read.str(m, "complaintCode"),
                Read.str(m, "complaintState"),
                Read.message(m, "message", "zh-CN"),
                Read.message(m, "message", "en"));
    }
}

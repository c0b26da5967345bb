package cn.complaints.client;

import java.util.List;
import java.util.Map;

/**
 * The billing check's answer for one bill. {@code billId} is the host's own key as read from its row;
 * {@code paymentState} is unpaid, partial or paid (null when the bill was not found); a paid bill takes no
 * offset. {@code openToOffsetsFen} is what the bill can still take. A complaint never blocks collection:
 * warnings are for the cashier's eyes only.
 */
public record BillCheck(
        String billId,
        boolean found,
        String unitId,
        Long amountFen,
        String paymentState,
        String hostStatus,
        Long outstandingFen,
        long appliedFen,
        long openToOffsetsFen,
        boolean allAllowed,
        List<OffsetVerdict> offsets,
        List<BillWarning> warnings) {

    static BillCheck from(Object json) {
        Map<String, Object> m = Read.asObj(json);
        return new BillCheck(
                Read.str(m, "billId"),
                Read.bool(m, "found"),
                Read.str(m, "unitId"),
                Read.optLong(m, "amountFen"),
                Read.str(m, "paymentState"),
                Read.str(m, "hostStatus"),
                Read.optLong(m, "outstandingFen"),
                Read.num(m, "appliedFen"),
                Read.num(m, "openToOffsetsFen"),
                Read.bool(m, "allAllowed"),
                Read.list(m, "offsets", OffsetVerdict::from),
                Read.list(m, "warnings", BillWarning::from));
    }
}

// Built-in model catalogue: nameplate figures of current ASIC miners and data-centre GPUs. Figures are
// the manufacturers' public nameplate values (nominal, i.e. the centre of a ±3–10 % band), used as the
// denominator of hashrate ratios, the power estimate when a device reports none, and the temperature
// limit headroom is measured against. A site config may override any of them (`models:` or per device).
//
// Temperature limits: an ASIC's figure is the chip temperature at which the stock firmware throttles or
// protects (about 95 °C across current Bitmain / MicroBT / Canaan units); a GPU's is the "GPU Max
// Operating Temp" (core) and "Memory Max Operating Temp" (HBM) thresholds `nvidia-smi -q -d TEMPERATURE`
// reports for the part, where slowdown begins to be likely.

import type { CatalogueModel, DeviceModel } from './types.js';

export const CATALOGUE: readonly CatalogueModel[] = [
  // --- ASIC miners (SHA-256) -------------------------------------------------------------------------
  // The S19-generation entries below (issue 13) cite public pages that quote Bitmain's release figures; the
  // manufacturer's own pages were not in reach of the search this was written with. S19 and S19j Pro:
  // miningstore.com "The Definitive Guide to Antminer S19 Series Bitcoin Miners" (S19 95 TH/s 3250 W; S19j
  // Pro bins 96/100/104 TH/s at 2832/3050/3082 W: the 100 TH/s bin here, override for the others).
  { key: 'antminer-s19', kind: 'asic', name: 'Antminer S19', nominal_ths: 95, nominal_power_w: 3250, max_temp_c: 95 },
  // S19 Pro: "rated hashrate 110T±3%, wall power consumption 3250W±5%" (blog.zeusmining.co, "Antminer S19
  // Pro 110T evaluation", 2022; the same in buybtc123.com's evaluation). The stock bmminer capture in
  // test/fixtures/asic/antminer-bmminer/S19Pro_stats.json states total_rateideal 110000 GH/s: it agrees.
  { key: 'antminer-s19-pro', kind: 'asic', name: 'Antminer S19 Pro', nominal_ths: 110, nominal_power_w: 3250, max_temp_c: 95 },
  { key: 'antminer-s19j-pro', kind: 'asic', name: 'Antminer S19j Pro (100 TH/s bin)', nominal_ths: 100, nominal_power_w: 3050, max_temp_c: 95 },
  // S21 Pro: 234 TH/s, 3531 W (antminer-s21-pro-profitability.pages.dev, quoting the spec; a third-party page).
  { key: 'antminer-s21-pro', kind: 'asic', name: 'Antminer S21 Pro', nominal_ths: 234, nominal_power_w: 3531, max_temp_c: 95 },
  // Bitmain Antminer S19 XP spec sheet: 140 TH/s, 3010 W, 21.5 J/TH (the same 140 TH/s and 21.5 W/TH in
  // miningstore.com's guide above, https://miningstore.com/understanding-the-bitcoin-mining-rig-market/the-definitive-guide-to-antminer-s19-series-bitcoin-miners/).
  { key: 'antminer-s19-xp', kind: 'asic', name: 'Antminer S19 XP', nominal_ths: 140, nominal_power_w: 3010, max_temp_c: 95 },
  // Bitmain Antminer S21 spec sheet: 200 TH/s, 3500 W, 17.5 J/TH.
  { key: 'antminer-s21', kind: 'asic', name: 'Antminer S21', nominal_ths: 200, nominal_power_w: 3500, max_temp_c: 95 },
  // Bitmain Antminer S21 XP spec sheet: 270 TH/s, 3645 W, 13.5 J/TH.
  { key: 'antminer-s21-xp', kind: 'asic', name: 'Antminer S21 XP', nominal_ths: 270, nominal_power_w: 3645, max_temp_c: 95 },
  // Bitmain Antminer S21 Hyd. (hydro-cooled) spec sheet: 335 TH/s, 5360 W, 16 J/TH.
  { key: 'antminer-s21-hyd', kind: 'asic', name: 'Antminer S21 Hyd.', nominal_ths: 335, nominal_power_w: 5360, max_temp_c: 95 },
  // Issue 13, second pass: models whose figures come from public data tables in miner-tool repositories
  // (manufacturer pages were not in reach of the search this was written with). [hashkit] says it holds
  // "manufacturer nominal ratings from public spec sheets"; the other two are calculators' miner lists that
  // name no provenance, used to cross-check it or where it has no row. Cited by repository, commit, path:
  //   [hashkit]    github.com/hiwebhq/hi3-hashkit @ 732fdfb1910ff38c80e9c6552c0f936dcad8d420, app/src/main/kotlin/hi3/hashkit/domain/model/MinerSpecs.kt
  //   [asicstools] github.com/nhamilton1/asics-tools @ 202e102160021fd1d1239a8532762bd6e9cc5084, src/utils/asic-queries/asicWattList.ts
  //   [droom]      github.com/DroomDroom-Org/DroomMining @ d702a82f435437bea9bf0db404c607fbc80bea8a, app/bitcoin/calculator/page.tsx
  // S19k Pro: 120 TH/s, 2760 W (23 J/TH) [hashkit]; no second table states it.
  { key: 'antminer-s19k-pro', kind: 'asic', name: 'Antminer S19k Pro', nominal_ths: 120, nominal_power_w: 2760, max_temp_c: 95 },
  // S21+: 216 TH/s, 3564 W (16.5 J/TH) [hashkit]; 216 TH/s is also what
  // https://btcminermarketplace.com/how-to-calculate-profitability-of-antminer-s21-3 states (no power there).
  { key: 'antminer-s21-plus', kind: 'asic', name: 'Antminer S21+ (216 TH/s bin)', nominal_ths: 216, nominal_power_w: 3564, max_temp_c: 95 },
  // T21: 190 TH/s, 3610 W (19 J/TH); [hashkit] and [droom] agree.
  { key: 'antminer-t21', kind: 'asic', name: 'Antminer T21', nominal_ths: 190, nominal_power_w: 3610, max_temp_c: 95 },
  // MicroBT Whatsminer M50S product page: 126 TH/s at 26 J/TH = 3276 W.
  { key: 'whatsminer-m50s', kind: 'asic', name: 'Whatsminer M50S', nominal_ths: 126, nominal_power_w: 3276, max_temp_c: 95 },
  // MicroBT Whatsminer M60S product page: 186 TH/s at 18.5 J/TH = 3441 W.
  { key: 'whatsminer-m60s', kind: 'asic', name: 'Whatsminer M60S', nominal_ths: 186, nominal_power_w: 3441, max_temp_c: 95 },
  // MicroBT Whatsminer M66S (immersion) product page: 298 TH/s at 18.5 J/TH = 5513 W.
  { key: 'whatsminer-m66s', kind: 'asic', name: 'Whatsminer M66S (immersion)', nominal_ths: 298, nominal_power_w: 5513, max_temp_c: 95 },
  // M30S: 88 TH/s bin, 3344 W (38 J/TH); [hashkit] and [asicstools] agree on this bin.
  { key: 'whatsminer-m30s', kind: 'asic', name: 'Whatsminer M30S (88 TH/s bin)', nominal_ths: 88, nominal_power_w: 3344, max_temp_c: 95 },
  // M30S++: 112 TH/s, 3472 W (31 J/TH) [hashkit]. [asicstools] puts the same 3472 W against 106 TH/s (32.8
  // J/TH) while stating 31 W/TH for the model itself, which is 112 TH/s at 3472 W: the 112 TH/s bin here.
  { key: 'whatsminer-m30s-plus-plus', kind: 'asic', name: 'Whatsminer M30S++ (112 TH/s bin)', nominal_ths: 112, nominal_power_w: 3472, max_temp_c: 95 },
  // M50: 114 TH/s bin, 3306 W (29 J/TH) [hashkit]; [asicstools] gives the 118 TH/s bin at 3422 W, the same
  // 29 J/TH. The 114 TH/s bin here, override for the other.
  { key: 'whatsminer-m50', kind: 'asic', name: 'Whatsminer M50 (114 TH/s bin)', nominal_ths: 114, nominal_power_w: 3306, max_temp_c: 95 },
  // M53S (hydro): 260 TH/s, 6760 W (26 J/TH) [droom]; no second table states it.
  { key: 'whatsminer-m53s', kind: 'asic', name: 'Whatsminer M53S (hydro)', nominal_ths: 260, nominal_power_w: 6760, max_temp_c: 95 },
  // M60: 172 TH/s bin. The tables disagree on its power: [droom] 3422 W at a stated 19.9 J/TH, [hashkit]
  // 3312 W (19.3 J/TH, no efficiency stated). Neither is the manufacturer's page; 3422 W here because its
  // source states the efficiency it follows from. Both tables give the M60S as 186 TH/s, 3441 W, as above.
  { key: 'whatsminer-m60', kind: 'asic', name: 'Whatsminer M60 (172 TH/s bin)', nominal_ths: 172, nominal_power_w: 3422, max_temp_c: 95 },
  // M63S (hydro): 390 TH/s bin, 7215 W (18.5 J/TH) [droom], which also lists a 360 TH/s bin at the same 7215 W.
  { key: 'whatsminer-m63s', kind: 'asic', name: 'Whatsminer M63S (hydro, 390 TH/s bin)', nominal_ths: 390, nominal_power_w: 7215, max_temp_c: 95 },
  // Canaan's A13 announcement as reported by blog.zeusmining.co ("Canaan Technology Launches New Avalon A13
  // Series"): A1346 110 TH/s at 30 J/TH = 3300 W; A1366 130 TH/s at 25 J/TH = 3250 W.
  { key: 'avalon-a1346', kind: 'asic', name: 'Avalon A1346', nominal_ths: 110, nominal_power_w: 3300, max_temp_c: 95 },
  { key: 'avalon-a1366', kind: 'asic', name: 'Avalon A1366', nominal_ths: 130, nominal_power_w: 3250, max_temp_c: 95 },
  // Canaan Avalon Made A1466 product page: 150 TH/s, 3230 W, 21.5 J/TH.
  { key: 'avalon-a1466', kind: 'asic', name: 'Avalon A1466', nominal_ths: 150, nominal_power_w: 3230, max_temp_c: 95 },
  // Canaan Avalon Made A1566 product page: 185 TH/s, 3420 W, 18.5 J/TH.
  { key: 'avalon-a1566', kind: 'asic', name: 'Avalon A1566', nominal_ths: 185, nominal_power_w: 3420, max_temp_c: 95 },
  // A1246: 90 TH/s, 3420 W (38 J/TH); [hashkit] and [asicstools] ("canaan avalonminer 1246") agree.
  // [asicstools] also has a "canaan avalon 1246" row at 85 TH/s, 3420 W: the 90 TH/s figure here.
  { key: 'avalon-a1246', kind: 'asic', name: 'Avalon A1246 (90 TH/s bin)', nominal_ths: 90, nominal_power_w: 3420, max_temp_c: 95 },

  // Every model issue 13 named now has a sourced entry above. A model the catalogue lacks is added by a site
  // under `models:`; without that, a miner of it takes its nominal from the nameplate its firmware states
  // (nameplate_ths), and its power from the firmware where it reports one (Whatsminer, Avalon do).

  // --- Data-centre and workstation GPUs ------------------------------------------------------------------
  // NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB): 400 W max TDP, 80 GB HBM2e (nvidia-smi: 81920 MiB).
  { key: 'a100-sxm', kind: 'gpu', name: 'NVIDIA A100 80GB SXM', nominal_power_w: 400, max_temp_c: 85, max_mem_temp_c: 95, mem_total_mib: 81920 },
  // NVIDIA A100 Tensor Core GPU datasheet (PCIe 80GB): 300 W max TDP, 80 GB HBM2e.
  { key: 'a100-pcie', kind: 'gpu', name: 'NVIDIA A100 80GB PCIe', nominal_power_w: 300, max_temp_c: 85, max_mem_temp_c: 95, mem_total_mib: 81920 },
  // NVIDIA H100 Tensor Core GPU datasheet (SXM5): up to 700 W, 80 GB HBM3 (nvidia-smi: 81559 MiB).
  { key: 'h100-sxm', kind: 'gpu', name: 'NVIDIA H100 80GB HBM3 SXM', nominal_power_w: 700, max_temp_c: 87, max_mem_temp_c: 95, mem_total_mib: 81559 },
  // NVIDIA H100 PCIe product brief: 350 W max TDP, 80 GB HBM2e (nvidia-smi: 81559 MiB).
  { key: 'h100-pcie', kind: 'gpu', name: 'NVIDIA H100 80GB PCIe', nominal_power_w: 350, max_temp_c: 87, max_mem_temp_c: 95, mem_total_mib: 81559 },
  // NVIDIA H200 Tensor Core GPU datasheet (SXM): up to 700 W, 141 GB HBM3e (nvidia-smi: 143771 MiB).
  { key: 'h200', kind: 'gpu', name: 'NVIDIA H200 141GB SXM', nominal_power_w: 700, max_temp_c: 87, max_mem_temp_c: 95, mem_total_mib: 143771 },
  // NVIDIA L40S datasheet: 350 W max power, 48 GB GDDR6 with ECC (nvidia-smi: 46068 MiB).
  { key: 'l40s', kind: 'gpu', name: 'NVIDIA L40S', nominal_power_w: 350, max_temp_c: 87, mem_total_mib: 46068 },
  // NVIDIA GeForce RTX 4090 specifications page: 450 W total graphics power, max GPU temp 90 °C, 24 GB GDDR6X.
  { key: 'rtx-4090', kind: 'gpu', name: 'NVIDIA GeForce RTX 4090', nominal_power_w: 450, max_temp_c: 90, mem_total_mib: 24564 },
  // NVIDIA RTX A6000 datasheet: 300 W max power, 48 GB GDDR6 with ECC (nvidia-smi: 49140 MiB).
  { key: 'rtx-a6000', kind: 'gpu', name: 'NVIDIA RTX A6000', nominal_power_w: 300, max_temp_c: 93, mem_total_mib: 49140 },
];

/** A fresh key → model map; config layers its `models:` overrides on top of it. */
export function catalogueMap(): Map<string, CatalogueModel> {
  const map = new Map<string, CatalogueModel>();
  for (const entry of CATALOGUE) map.set(entry.key, { ...entry });
  return map;
}

export interface EffectiveFigures {
  nominal_ths: number | null;
  nominal_power_w: number | null;
  max_temp_c: number | null;
  max_mem_temp_c: number | null;
  mem_total_mib: number | null;
}

/**
 * The figures that apply to one device: its own overrides first, then its model's catalogue entry.
 * null where neither says (a sensor, or a model the site did not describe) so callers never mistake a
 * missing nameplate for 0.
 */
export function effectiveFigures(
  catalogue: ReadonlyMap<string, CatalogueModel>,
  device: Pick<DeviceModel, 'model' | 'nominal_ths' | 'nominal_power_w' | 'max_temp_c'>,
): EffectiveFigures {
  const entry = device.model === undefined ? undefined : catalogue.get(device.model);
  return {
    nominal_ths: device.nominal_ths ?? entry?.nominal_ths ?? null,
    nominal_power_w: device.nominal_power_w ?? entry?.nominal_power_w ?? null,
    max_temp_c: device.max_temp_c ?? entry?.max_temp_c ?? null,
    max_mem_temp_c: entry?.max_mem_temp_c ?? null,
    mem_total_mib: entry?.mem_total_mib ?? null,
  };
}

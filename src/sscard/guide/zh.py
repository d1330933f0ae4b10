"""The guide's texts in Simplified Chinese (zh-CN).

Templates only: every number comes from the region's policy and every document name
from the table below, keyed by the names loss/rules.py uses.
"""

from __future__ import annotations

from sscard.claims import rules as claims
from sscard.guide import plans
from sscard.guide.catalog import Article, Catalog, Language
from sscard.loss import rules
from sscard.people.schemes import Scheme

MESSAGES: dict[str, str] = {
    # Phrases chosen by a policy value (build.py).
    "phrase.lift_same_day": "挂失当天即",
    "phrase.lift_next_day": "挂失次日起",
    "phrase.lift_after_days": "挂失{lift_after_days}天后起",
    "phrase.ready_on_the_spot": "当场",
    "phrase.ready_after_days": "于申请后{production_working_days}个工作日（按国家法定节假日及调休上班日计算）",
    "phrase.fee_yuan": "{yuan}元",
    "phrase.fee_free": "免费",
    # R-LOSS-1, R-LOSS-4, R-LOSS-5
    "provisional.title": "立即临时挂失",
    "provisional.where": (
        "服务热线{hotline}（全天候）、网上服务平台、服务网点或定点医疗机构的自助终端、服务网点窗口，或发卡合作银行"
    ),
    "provisional.channels": (
        "发现卡不见了，请第一时间办理临时挂失，以下方式任选其一：拨打{hotline}，按语音提示报出持卡人姓名、"
        "身份证号码、卡号和所在单位；登录网上服务平台办理；在服务网点或定点医疗机构的自助终端触摸屏上办理；"
        "到服务网点窗口填写书面挂失；或到发卡的合作银行办理。周末和节假日同样受理。"
    ),
    "provisional.effect": (
        "挂失一经确认即时生效，卡的医保结算功能马上停止，别人无法再用这张卡支付；挂失信息同时通知合作银行。"
    ),
    "provisional.hold": (
        "临时挂失只是暂时冻结：{provisional_valid_days}天内没有转为正式挂失的，到期自动解除，卡恢复使用。"
    ),
    "provisional.police": ("卡是被盗的，建议您另行向公安机关报案；这只是建议，办理挂失和补卡都不需要报案回执。"),
    # R-CARD-2, R-LIA-1, R-LIA-2
    "risk.title": "了解丢卡的风险",
    "risk.where": "受理挂失的工作人员会告诉您的卡属于哪种情况",
    "risk.intro": "以下三种状态的卡丢失后风险最高，挂失时会记录您的卡属于哪一种：",
    "risk.unactivated": "卡还没有激活——捡到的人可能设法激活后使用，请尽快正式挂失并补卡；",
    "risk.no_pin": "卡没有设置密码——不输密码也可能被使用，找回或补卡之前请不要解除挂失；",
    "risk.pin_changed": "密码是您自己改过的——如果新密码记在纸上或容易被猜到，请正式挂失并补卡。",
    "risk.liability": (
        "挂失生效前卡上发生的费用由您本人承担；挂失生效后仍被刷走的钱（例如某家药店的终端没有及时更新失效名单），"
        "按原价赔付给您。"
    ),
    # R-LOSS-2, R-LOSS-3
    "formal.title": "办理正式挂失",
    "formal.where:urban_resident": "先到所在社区居委会开证明，再到便民服务中心或医保中心窗口",
    "formal.where:rural_resident": "先到所在村委会开证明，再到便民服务中心或医保中心窗口",
    "formal.where:employee": "所在单位负责社保的部门（一般是财务部门），或社会保障卡服务网点窗口",
    "formal.where:student": "学校负责医保的办公室（先找辅导员或班主任），或社会保障卡服务网点窗口",
    "formal.certificate:urban_resident": (
        "请居委会开具挂失证明，写明您的基本信息，以及卡的序列号、账号或个人编号，并加盖公章。"
    ),
    "formal.certificate:rural_resident": (
        "请村委会开具挂失证明，写明您的基本信息，以及卡的序列号、账号或个人编号，并加盖公章。"
    ),
    "formal.certificate:employee": "参加职工医保的，一般由单位经办人员（多为财务部门）替您办理手续，并出具单位证明。",
    "formal.certificate:student": "学生请先咨询辅导员或班主任，再由学校负责办理的办公室出具证明并提出申请。",
    "formal.documents": "在窗口办理正式挂失需要：{documents}。",
    # R-LOSS-2
    "agent.title": "本人不便前往时，可委托他人代办",
    "agent.where": "社会保障卡服务网点窗口",
    "agent.who": "行动不便、年事已高等特殊情况下，可以委托他人代办；窗口会登记代办人的身份。",
    "agent.documents": "代办人需带上：{documents}。",
    # R-REP-1, R-REP-2, R-REP-5
    "apply_after_loss.title": "申请补办新卡",
    "apply_after_loss.where": "社会保障卡服务网点窗口，可与正式挂失一次办完",
    "apply_after_loss.documents": "先挂失、后补卡：正式挂失后，在窗口现场填写补卡申请表，并提供：{documents}。",
    "apply_after_loss.old_card": "新卡启用新的卡号；挂失的旧卡已列入失效名单，新卡发出时旧卡正式作废。",
    "fee": "{reason}补卡的费用：{fee_text}，在窗口当场缴纳，不从个人医疗账户中扣除。",
    # R-REP-1: no loss report for a damaged, demagnetised or expired card.
    "check.title": "无需挂失，先问清办理方式",
    "check.where": "服务热线{hotline}、社会保障卡服务网点或发卡合作银行",
    "check.no_report": "卡{reason}不需要先挂失，可以直接申请补卡。",
    "check.ask": "各地办理细节略有不同，出发前可拨打{hotline}，或向服务网点、合作银行问清本地区的要求。",
    "apply.title": "到窗口申请补卡",
    "apply.where": "社会保障卡服务网点或医保中心窗口",
    "apply.where:employee": "由单位经办人员（一般是财务部门）代为办理，或本人到社会保障卡服务网点窗口",
    "apply.where:student": "由学校负责医保的办公室代为申请，或本人到社会保障卡服务网点窗口",
    "apply.documents": "在窗口现场填写补卡申请表，并提供：{documents}。",
    "apply.old_card": (
        "申请受理后旧卡随即列入失效名单、停止结算，看病请改用下文所说的凭证；新卡启用新的卡号，发出时旧卡正式作废。"
    ),
    # R-SET-3, R-REP-4
    "meanwhile.title": "等新卡期间怎样看病结算",
    "meanwhile.where": "定点医疗机构和定点药店",
    "meanwhile.ecert": "可以使用医保电子凭证：在手机上出示二维码结算，每个二维码{ecert_valid_seconds}秒内有效。",
    "meanwhile.certificate": (
        "申请补卡时窗口发给您的领卡凭证，在领到新卡之前可作为临时就医凭证，有效期{temp_certificate_valid_days}天，"
        "只能在发卡地区使用，没有银行卡功能。"
    ),
    "meanwhile.limits": "这两种凭证未必能办理卡的全部业务，新卡做好后请及时领取。",
    # R-REP-3, R-REP-4
    "collect.title": "领取并激活新卡",
    "collect.where": "受理补卡申请的社会保障卡服务网点",
    "collect.ready": "新卡{ready_when}制作完成。",
    "collect.documents": "领卡时请带上：{documents}；领到后设置密码激活即可使用。",
    # R-REP-6
    "balance.title": "旧卡里的钱怎么办",
    "balance.where": "发卡合作银行；换了银行的，还涉及参保地社保分中心",
    "balance.same_bank": "新旧卡属于同一家银行的，新卡激活后，旧卡余额自动转入新卡。",
    "balance.other_bank": (
        "换了银行的，要等参保地社保分中心出具清算通知、原银行确认旧卡已注销后才转入；在此之前，"
        "这笔钱仍记在您名下，但暂时不能用新卡支付。"
    ),
    "balance.total": "无论哪种情况，账户里的钱都不会少一分，也不会重复计算。",
    # R-CLM-1, R-CLM-2
    "claim.title": "报销等卡期间自付的医疗费用",
    "claim.where": "省级医疗保险经办中心窗口，或在网上服务平台提交",
    "claim.when": (
        "从挂失（卡片损坏等情况从申请补卡）之日到领到新卡之日，这期间自己先垫付的医疗费用，"
        "可在领到新卡后{claim_grace_days}天内申请报销。"
    ),
    "claim.documents": "请带上：{documents}，并各附一份复印件。",
    "claim.review": (
        "经办机构审核后全额或部分核准，不予报销的会说明理由；核准的金额支付给您本人，补充保险承担的部分另行记录。"
    ),
    # R-CARD-3, R-SET-1
    "safekeeping.title": "妥善保管社保卡",
    "safekeeping.where": "日常携带和存放",
    "safekeeping.recheck": (
        "找回的卡如果一直没有激活、没有设置密码，或者密码可能已被别人知道，请尽快激活、设置或修改密码。"
    ),
    "safekeeping.care": (
        "卡片不要接触尖锐物品或磁性物品，不要弯折，不要放在高温潮湿的地方；卡片损坏会被列入失效名单，只能补办。"
    ),
    "safekeeping.pin": (
        "密码不要告诉别人，也不要和卡放在一起；连续输错{pin_max_tries}次密码，卡会被锁定，"
        "需要到服务网点或合作银行解锁。"
    ),
    "safekeeping.use": "社保卡只能在定点医院和定点药店支付医疗费用，不能取现，也不能转账。",
    # R-LOSS-5
    "lift.title": "找回卡片：解除挂失",
    "lift.where": "社会保障卡服务网点窗口、发卡合作银行，或在网上服务平台自助办理；咨询请拨打{hotline}",
    "lift.effect": "卡找回后可以解除挂失：卡恢复结算，从失效名单中撤下，合作银行同时收到通知。",
    "lift.when": "本地区{lift_when}可以解除挂失。",
    "lift.only_before_replacement": "请注意：只有在尚未申请补卡时才能解除挂失；一旦申请了补卡，挂失就不能再解除。",
    "lift.documents": "到窗口办理请带上：{documents}。",
    "lift.hold": "只办了临时挂失、没有转为正式挂失的，{provisional_valid_days}天后也会自动解除。",
    "found_after_applying.title": "已经申请补卡的，按补卡流程领新卡",
    "found_after_applying.where": "受理补卡申请的社会保障卡服务网点",
    "found_after_applying.old_card": (
        "找回的旧卡不会再恢复使用，新卡发出时旧卡正式作废；旧卡余额在新卡激活后转入"
        "（换了银行的，要等清算通知和原银行确认注销）。"
    ),
    "found_after_applying.collect": "新卡{ready_when}制作完成，领卡时请带上：{documents}。",
}

DOCUMENTS: dict[str, str] = {
    rules.RESIDENT_ID_CARD: "居民身份证",
    rules.HOUSEHOLD_REGISTER: "户口簿",
    rules.AGENT_ID_CARD: "代办人本人的身份证",
    rules.CLIENT_ID_CARD: "持卡人身份证原件",
    rules.CLIENT_ID_CARD_COPY: "持卡人身份证复印件",
    rules.PHOTO: "近期免冠照片",
    rules.SCHEME_CERTIFICATES[Scheme.URBAN_RESIDENT]: "社区居委会出具的挂失证明",
    rules.SCHEME_CERTIFICATES[Scheme.RURAL_RESIDENT]: "村委会出具的挂失证明",
    rules.SCHEME_CERTIFICATES[Scheme.EMPLOYEE]: "单位出具的证明",
    rules.SCHEME_CERTIFICATES[Scheme.STUDENT]: "学校出具的证明",
    plans.COLLECTION_CERTIFICATE: "领卡凭证",
    claims.INVOICE: "医疗费用发票原件",
    claims.EXPENSE_LIST: "费用明细清单",
    claims.MEDICAL_RECORD: "病历",
    claims.DISCHARGE_SUMMARY: "出院小结（住院的）",
}

ARTICLES: dict[Article, str] = {
    Article.MEASURES_16: "《社会保障卡管理办法》第十六条",
    Article.MEASURES_19: "《社会保障卡管理办法》第十九条",
    Article.SOCIAL_INSURANCE_LAW_2: "《中华人民共和国社会保险法》第二条",
    Article.SOCIAL_INSURANCE_LAW_8: "《中华人民共和国社会保险法》第八条",
    Article.SOCIAL_INSURANCE_LAW_26: "《中华人民共和国社会保险法》第二十六条",
    Article.SOCIAL_INSURANCE_LAW_28: "《中华人民共和国社会保险法》第二十八条",
    Article.SOCIAL_INSURANCE_LAW_29: "《中华人民共和国社会保险法》第二十九条",
    Article.SOCIAL_INSURANCE_LAW_72: "《中华人民共和国社会保险法》第七十二条",
    Article.NOTICE_6: "《社会保障卡发行管理流程》第六条",
    Article.NOTICE_7: "《社会保障卡发行管理流程》第七条",
}

SITUATIONS: dict[str, str] = {
    plans.Situation.LOST: "遗失",
    plans.Situation.STOLEN: "被盗",
    plans.Situation.DAMAGED: "损坏",
    plans.Situation.DEMAGNETIZED: "消磁",
    plans.Situation.EXPIRED: "过期",
    plans.Situation.FOUND: "找回",
}

CATALOG = Catalog(
    language=Language.ZH_CN,
    messages=MESSAGES,
    documents=DOCUMENTS,
    articles=ARTICLES,
    situations=SITUATIONS,
    list_separator="、",
    alternative_separator="或",
    sentence_separator="",
)
